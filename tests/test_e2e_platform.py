"""All four services as separate processes, on the real embedded broker and database."""

from __future__ import annotations

from collections import Counter

import httpx

from tandem_devkit.demo import DEMO_SEED, run_company
from tandem_devkit.embedded import StackInfo
from tandem_devkit.services import SERVICES, ServiceSet
from tandem_pairing.domain.matching import MatchingProblem, match
from tandem_pairing.simulated import participants
from tandem_simulation import company


def test_every_service_is_ready_and_exposes_its_metrics(
    platform: ServiceSet, embedded_stack: StackInfo
) -> None:
    assert set(platform.services) == set(SERVICES)
    for name, svc in platform.services.items():
        ready = httpx.get(svc.url + "/readyz", timeout=5)
        assert ready.status_code == 200, (name, ready.text)
        assert ready.json()["checks"] == {
            "database": True,
            "broker": True,
            "handlers": True,
            "consumers": True,
            "outbox": True,
        }
        metrics = httpx.get(svc.url + "/metrics", timeout=5).text
        assert "tandem_outbox_pending_records" in metrics, name
        assert httpx.get(svc.url + "/openapi.json", timeout=5).status_code == 401
        headers = embedded_stack.auth_headers()
        openapi = httpx.get(svc.url + "/openapi.json", timeout=5, headers=headers).json()
        assert openapi["info"]["title"] == f"Tandem {name}"


async def test_a_synthetic_company_is_matched_through_the_live_services(
    platform: ServiceSet, embedded_stack: StackInfo
) -> None:
    """HR events over Kafka → pairing's projection → enrollment over HTTP → PairCreated on Kafka."""
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
    for pair in outcome.sample_pairs:
        assert pair["status"] == "active"
        assert pair["breakdown"]["total"] > 0  # type: ignore[index]
