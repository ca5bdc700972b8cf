"""All four services as separate processes, on the real embedded broker and database."""

from __future__ import annotations

from collections import Counter

import httpx

from tandem_devkit.demo import DEMO_SEED, run_company
from tandem_devkit.embedded import StackInfo
from tandem_devkit.services import SERVICES, ServiceSet
from tandem_pairing.domain.matching import MatchingProblem, match
from tandem_pairing.simulated import participants
from tandem_servicekit.testing import wait_until
from tandem_simulation import company


def test_every_service_is_ready_and_exposes_its_metrics(
    platform: ServiceSet, embedded_stack: StackInfo
) -> None:
    assert set(platform.services) == set(SERVICES)
    for name, svc in platform.services.items():
        ready = httpx.get(svc.url + "/readyz", timeout=5)
        assert ready.status_code == 200, (name, ready.text)
        expected = {
            "database": True,
            "broker": True,
            "handlers": True,
            "consumers": True,
            "outbox": True,
        }
        if name == "pairing":  # ready only once the matching engine's kernels are loaded
            expected["matching_engine"] = True
        assert ready.json()["checks"] == expected
        metrics = httpx.get(svc.url + "/metrics", timeout=5).text
        assert "tandem_outbox_pending_records" in metrics, name
        assert httpx.get(svc.url + "/openapi.json", timeout=5).status_code == 401
        headers = embedded_stack.auth_headers()
        openapi = httpx.get(svc.url + "/openapi.json", timeout=5, headers=headers).json()
        assert openapi["info"]["title"] == f"Tandem {name}"


async def test_a_synthetic_company_is_matched_through_the_live_services(
    platform: ServiceSet, embedded_stack: StackInfo
) -> None:
    """HR events over Kafka → pairing's projection → enrollment over HTTP → PairCreated on Kafka
    → scheduling's series for every pair (the program starts beyond the publication horizon,
    so its weeks show as planned or unschedulable) and feedback's goal sheet and assessment
    rounds (the baseline asked at once)."""
    outcome = await run_company(
        embedded_stack,
        platform.services["pairing"].url,
        employees=200,
        topic_prefix=platform.topic_prefix,
    )
    run = outcome.run
    # The live pipeline must reproduce what the engine computes from the same people directly.
    mentors, mentees = participants(company(200, seed=DEMO_SEED))
    direct = match(MatchingProblem(mentors, mentees))
    assert (run["mentors"], run["mentees"]) == (len(mentors), len(mentees))
    assert run["proposed"] == len(direct.pairs)
    assert abs(float(run["total_score"]) - direct.total_score) < 1e-6  # type: ignore[arg-type]
    reasons = Counter(u.reason.value for u in direct.unmatched if u.role == "mentee")
    assert run["unmatched_by_reason"] == dict(reasons)
    assert outcome.pair_created_events == run["proposed"]
    scheduling = platform.services["scheduling"].url
    placed = 0
    async with httpx.AsyncClient(base_url=scheduling, timeout=30) as http:
        for pair in outcome.sample_pairs:
            assert pair["status"] == "active"
            assert pair["breakdown"]["total"] > 0  # type: ignore[index]
            mentee = embedded_stack.auth_headers(str(pair["mentee_id"]), ["participant"])
            items = await series_of(http, str(pair["pair_id"]), mentee)
            assert {i["status"] for i in items} <= {"planned", "unschedulable", "scheduled"}
            assert {i["pair_id"] for i in items} == {pair["pair_id"]}
            if any(i["starts_at"] for i in items):
                placed += 1
            else:  # matched pairs share time; a mentor's other pair may have taken all of it
                assert {i["unschedulable_reason"] for i in items} == {"fully_booked"}, items
    assert placed > 0, "matched pairs share time: weeks are placed"
    feedback = platform.services["feedback"].url
    async with httpx.AsyncClient(base_url=feedback, timeout=30) as http:
        for pair in outcome.sample_pairs:
            mentee = embedded_stack.auth_headers(str(pair["mentee_id"]), ["participant"])
            rounds = await feedback_rounds(http, str(pair["pair_id"]), mentee)
            assert [(r["phase"], r["status"]) for r in rounds] == [
                ("baseline", "open"),
                ("midpoint", "planned"),
                ("final", "planned"),
            ]
            sheet = await http.get(f"/pairs/{pair['pair_id']}/goals", headers=mentee)
            assert sheet.status_code == 200
            assert sheet.json()["mentee_id"] == pair["mentee_id"]


async def series_of(
    http: httpx.AsyncClient, pair_id: str, headers: dict[str, str]
) -> list[dict[str, object]]:
    """The pair's whole series from scheduling, once it has planned it."""
    found: list[dict[str, object]] = []

    async def planned() -> bool:
        reply = await http.get(f"/pairs/{pair_id}/sessions", headers=headers)
        if reply.status_code == 200:
            found[:] = reply.json()["items"]
        return bool(found)

    await wait_until(planned, timeout_s=30)
    return found


async def feedback_rounds(
    http: httpx.AsyncClient, pair_id: str, headers: dict[str, str]
) -> list[dict[str, object]]:
    """The pair's assessment rounds from feedback, once it has recorded the pair."""
    found: list[dict[str, object]] = []

    async def recorded() -> bool:
        reply = await http.get(f"/pairs/{pair_id}/assessments", headers=headers)
        if reply.status_code == 200:
            found[:] = reply.json()
        return bool(found)

    await wait_until(recorded, timeout_s=30)
    return found
