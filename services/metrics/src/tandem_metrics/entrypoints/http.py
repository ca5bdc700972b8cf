"""HTTP API of the metrics service: a program's KPIs as JSON and as CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import HTMLResponse

from tandem_metrics.domain.kpis import ProgramKpis
from tandem_metrics.entrypoints.report_page import render
from tandem_metrics.service import kpis
from tandem_metrics.service.ports import MetricsUnitOfWork
from tandem_metrics.settings import MetricsRules
from tandem_servicekit.http import Caller, PathId, unit_of_work

Work = Annotated[MetricsUnitOfWork, Depends(unit_of_work)]
CSV = "text/csv; charset=utf-8"


def router(rules: MetricsRules) -> APIRouter:
    api = APIRouter(tags=["reports"])
    k = rules.anonymity_threshold

    @api.get("/programs/{program_id}/report")
    async def report(program_id: PathId, caller: Caller, work: Work) -> ProgramKpis:
        """The program's KPIs, computed now from the events (the program's managers and ops).
        Figures from answers below the anonymity threshold are `suppressed`."""
        return await kpis.report(program_id, caller, work, k)

    @api.get(
        "/programs/{program_id}/report.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    )
    async def report_csv(program_id: PathId, caller: Caller, work: Work) -> Response:
        """The same KPIs as `kpi,value` rows (dotted names; suppressed figures left empty)."""
        found = await kpis.report(program_id, caller, work, k)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["kpi", "value"])
        flat = found.model_dump(mode="json", exclude={"time_to_match_seconds", "weeks"})
        for name, value in _flat(flat):
            writer.writerow([name, "" if value is None else value])
        return Response(out.getvalue(), media_type=CSV)

    @api.get("/programs/{program_id}/report.html", response_class=HTMLResponse)
    async def report_html(program_id: PathId, caller: Caller, work: Work) -> HTMLResponse:
        """The same KPIs as one self-contained page with charts (sessions held per week,
        cadence adherence over time, competence gained per topic, feedback ratings)."""
        return HTMLResponse(render(await kpis.report(program_id, caller, work, k)))

    return api


def _flat(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [row for k, v in node.items() for row in _flat(v, f"{prefix}{k}.")]
    return [(prefix.rstrip("."), node)]
