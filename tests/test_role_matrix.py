"""Every route of every service, for every kind of caller, generated from the OpenAPI documents.

A route without a rule here fails the test, so a new endpoint cannot ship unguarded. Token
failures (none, expired, wrong audience, wrong signature, `alg: none`) are 401 everywhere but
the probes. For the roles, a rule names who may call the route: those callers must not get
401/403 (the request may still be a 404/409/422 for reasons of state), everyone else gets 403.
"""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tandem_contracts.events import (
    EmployeeHired,
    SessionHeld,
)
from tandem_contracts.examples import AT
from tandem_devkit.embedded import StackInfo
from tandem_devkit.harness import ServiceHarness, running_service, service_settings
from tandem_devkit.runs import run_matching
from tandem_servicekit.testing import wait_until

from .seeds import program_and_pair

SERVICES = ("pairing", "scheduling", "feedback", "metrics")
PROBES = {"/healthz", "/readyz", "/metrics"}
MENTEE, MENTOR, STRANGER = "mx-1", "mm-1", "mo-9"
MANAGER, OTHER_MANAGER = "pm-1", "pm-2"
CALLERS: dict[str, tuple[str, list[str]]] = {
    "participant (self)": (MENTEE, ["participant"]),
    "participant (other)": (STRANGER, ["participant"]),
    "program manager (this program)": (MANAGER, ["program_manager"]),
    "program manager (another)": (OTHER_MANAGER, ["program_manager"]),
    "hr_admin": ("hr-1", ["hr_admin"]),
    "ops": ("ops-1", ["ops"]),
}
EVERYONE = set(CALLERS)
SELF_OR_MANAGER = {"participant (self)", "program manager (this program)"}
PARTICIPANTS_OR_MANAGER = SELF_OR_MANAGER | {"participant (other)"}
MANAGER_ONLY = {"program manager (this program)"}
MANAGERS = {"program manager (this program)", "program manager (another)"}
# (method, path template) → who may call it. Destructive ones come last in RULES' order.
RULES: dict[tuple[str, str], set[str]] = {
    ("GET", "/asyncapi.json"): EVERYONE,
    ("GET", "/programs"): EVERYONE,
    ("POST", "/programs"): MANAGERS,
    ("GET", "/programs/{program_id}"): EVERYONE,
    ("POST", "/programs/{program_id}/open"): MANAGER_ONLY,
    ("POST", "/programs/{program_id}/enrollments"): SELF_OR_MANAGER,
    ("GET", "/programs/{program_id}/enrollments"): PARTICIPANTS_OR_MANAGER,
    ("GET", "/programs/{program_id}/enrollments/{enrollment_id}"): SELF_OR_MANAGER,
    ("POST", "/programs/{program_id}/matching-runs"): MANAGER_ONLY,
    ("GET", "/programs/{program_id}/matching-runs"): MANAGER_ONLY | {"ops"},
    ("GET", "/matching-runs/{run_id}"): MANAGER_ONLY | {"ops"},
    ("GET", "/matching-runs/{run_id}/unmatched"): MANAGER_ONLY,
    ("GET", "/programs/{program_id}/suggestions"): SELF_OR_MANAGER,
    ("GET", "/programs/{program_id}/pairs"): PARTICIPANTS_OR_MANAGER,
    ("GET", "/pairs/{pair_id}"): SELF_OR_MANAGER,
    ("GET", "/employees"): {"hr_admin"},
    ("GET", "/employees/{employee_id}"): {"participant (self)", "hr_admin"},
    ("POST", "/pairs/{pair_id}/decline"): {"participant (self)", "participant (other)"},
    ("POST", "/pairs/{pair_id}/accept"): {"participant (self)", "participant (other)"},
    ("POST", "/pairs/{pair_id}/end"): MANAGER_ONLY,
    ("GET", "/sessions/{session_id}"): SELF_OR_MANAGER,
    ("GET", "/pairs/{pair_id}/sessions"): SELF_OR_MANAGER,
    ("GET", "/people/{employee_id}/sessions"): SELF_OR_MANAGER,
    ("GET", "/people/{employee_id}/calendar.ics"): {"participant (self)"},
    ("POST", "/sessions/{session_id}/attendance"): {"participant (self)"},
    ("POST", "/sessions/{session_id}/reschedule"): SELF_OR_MANAGER,
    ("POST", "/sessions/{session_id}/cancel"): SELF_OR_MANAGER,
    ("GET", "/pairs/{pair_id}/goals"): {"participant (self)"},
    ("POST", "/pairs/{pair_id}/goals"): {"participant (self)"},
    ("PUT", "/pairs/{pair_id}/goals/{goal_id}"): {"participant (self)"},
    ("POST", "/pairs/{pair_id}/goals/{goal_id}/milestones/{milestone_id}/done"): {
        "participant (self)"
    },
    ("POST", "/pairs/{pair_id}/goals/{goal_id}/achieved"): {"participant (self)"},
    ("POST", "/sessions/{session_id}/feedback"): {"participant (self)"},
    ("GET", "/sessions/{session_id}/feedback"): {"participant (self)"},
    ("GET", "/people/{employee_id}/feedback"): {"participant (self)"},
    ("GET", "/pairs/{pair_id}/assessments"): {"participant (self)"},
    ("POST", "/pairs/{pair_id}/assessments/{phase}"): {"participant (self)"},
    ("GET", "/people/{employee_id}/surveys"): {"participant (self)"},
    ("POST", "/surveys/{survey_id}/answer"): {"participant (self)"},
    ("GET", "/pairs/{pair_id}/report"): SELF_OR_MANAGER,
    ("GET", "/programs/{program_id}/report"): MANAGER_ONLY | {"ops"},
    ("GET", "/programs/{program_id}/report.csv"): MANAGER_ONLY | {"ops"},
    ("GET", "/programs/{program_id}/report.html"): MANAGER_ONLY | {"ops"},
    ("POST", "/programs/{program_id}/enrollments/{enrollment_id}/withdraw"): SELF_OR_MANAGER,
    ("POST", "/programs/{program_id}/close"): MANAGER_ONLY,
    ("POST", "/employees/{employee_id}/erasure"): {"hr_admin"},
}


def forged_none(claims: dict[str, Any], kid: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'kid': kid})}.{part(claims)}."


def bad_tokens(stack: StackInfo) -> dict[str, dict[str, str]]:
    issuer = stack.issuer
    good = issuer.token(MANAGER, ["program_manager"])
    kid = str(jwt.get_unverified_header(good)["kid"])
    claims = jwt.decode(good, options={"verify_signature": False})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": kid})
    tokens = {
        "expired": issuer.token(MANAGER, ["program_manager"], ttl_s=-120),
        "wrong audience": issuer.token(MANAGER, ["program_manager"], audience="other"),
        "wrong signature": forged,
        "alg none": forged_none(claims, kid),
    }
    return {"no token": {}} | {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}


async def seed(pairing: ServiceHarness, stack: StackInfo) -> dict[str, str]:
    people = [
        EmployeeHired(
            employee_id=employee_id,
            department=department,
            job_level=level,
            languages=("en",),
            time_zone="Europe/Berlin",
            hired_on=AT.date(),
            effective_at=AT,
        )
        for employee_id, department, level in ((MENTOR, "IT", 1), (MENTEE, "Sales", 8))
    ]
    await pairing.publish(*people)
    manager = stack.auth_headers(MANAGER, ["program_manager"])
    http = pairing.http

    async def known() -> bool:
        reply = await http.get(
            f"/employees/{MENTEE}", headers=stack.auth_headers("h", ["hr_admin"])
        )
        return reply.status_code == 200

    await wait_until(known)
    program = {
        "name": "Matrix",
        "starts_on": "2027-01-11",
        "ends_on": "2027-07-09",
        "duration_weeks": 26,
        "session_minutes": 45,
        "topics": ["ai_tools"],
    }
    program_id = (await http.post("/programs", json=program, headers=manager)).json()["program_id"]
    await http.post(f"/programs/{program_id}/open", headers=manager)
    slots = [{"weekday": d, "start": "09:00", "end": "11:00"} for d in range(5)]
    availability = {"time_zone": "Europe/Berlin", "slots": slots}
    enrollment_id = ""
    for employee_id, role, topics in (
        (MENTOR, "mentor", {"expertise": [{"topic": "ai_tools", "level": 5}]}),
        (MENTEE, "mentee", {"goals": [{"topic": "ai_tools", "priority": 5}]}),
    ):
        body = {"employee_id": employee_id, "role": role, "availability": availability, **topics}
        reply = await http.post(f"/programs/{program_id}/enrollments", json=body, headers=manager)
        assert reply.status_code == 201, reply.text
        enrollment_id = reply.json()["enrollment_id"]
    run = await run_matching(http, program_id, headers=manager)
    pairs = await http.get(f"/programs/{program_id}/pairs", headers=manager)
    [pair] = pairs.json()["items"]
    return {
        "program_id": program_id,
        "enrollment_id": enrollment_id,
        "run_id": run["run_id"],
        "pair_id": pair["pair_id"],
        "employee_id": MENTEE,
    }


async def seed_scheduling(scheduling: ServiceHarness, stack: StackInfo) -> dict[str, str]:
    """A program MANAGER manages, and a pair of MENTOR and MENTEE whose first session has
    already taken place (on the system clock), so every session route has something to act on."""
    await scheduling.publish(
        *program_and_pair(
            program_id="matrix-prog",
            pair_id="matrix-pair",
            manager=MANAGER,
            mentor=MENTOR,
            mentee=MENTEE,
            starts_on=date.today(),
            weeks=8,
        ),
        source="/tandem/pairing",
    )
    manager = stack.auth_headers(MANAGER, ["program_manager"])
    listing: dict[str, Any] = {}

    async def published() -> bool:
        reply = await scheduling.http.get("/pairs/matrix-pair/sessions", headers=manager)
        listing.update(reply.json() if reply.status_code == 200 else {})
        return any(i["status"] == "scheduled" for i in listing.get("items", []))

    await wait_until(published, timeout_s=30)
    first = next(i for i in listing["items"] if i["status"] == "scheduled")
    return {"session_id": first["session_id"], "pair_id": "matrix-pair", "employee_id": MENTEE}


async def seed_feedback(feedback: ServiceHarness, stack: StackInfo) -> dict[str, str]:
    """A program MANAGER manages, a pair of MENTOR and MENTEE with a held session, and a goal
    of MENTEE's with a milestone, so every feedback route has something to act on."""
    await feedback.publish(
        *program_and_pair(
            program_id="fb-prog",
            pair_id="fb-pair",
            manager=MANAGER,
            mentor=MENTOR,
            mentee=MENTEE,
            starts_on=date.today(),
            weeks=8,
        ),
        source="/tandem/pairing",
    )
    await feedback.publish(
        SessionHeld(
            session_id="fb-session",
            pair_id="fb-pair",
            program_id="fb-prog",
            held_at=AT,
            duration_minutes=30,
        ),
        source="/tandem/scheduling",
    )
    mentee = stack.auth_headers(MENTEE, ["participant"])

    async def requested() -> bool:
        reply = await feedback.http.get("/sessions/fb-session/feedback", headers=mentee)
        return reply.status_code == 404 and "not given" in reply.text

    await wait_until(requested, timeout_s=30)
    goal = await feedback.http.post("/pairs/fb-pair/goals", json=GOAL, headers=mentee)
    assert goal.status_code == 201, goal.text
    return {
        "pair_id": "fb-pair",
        "session_id": "fb-session",
        "program_id": "fb-prog",
        "employee_id": MENTEE,
        "goal_id": goal.json()["goal_id"],
        "milestone_id": goal.json()["milestones"][0]["milestone_id"],
        "phase": "baseline",
        "survey_id": "fb-pair.nps.1",
    }


async def seed_metrics(metrics: ServiceHarness, stack: StackInfo) -> dict[str, str]:
    """A program MANAGER manages, as pairing announces it, so the report routes answer."""
    events = program_and_pair(
        program_id="mx-prog",
        pair_id="mx-pair",
        manager=MANAGER,
        mentor=MENTOR,
        mentee=MENTEE,
        starts_on=date.today(),
        weeks=8,
    )
    await metrics.publish(*events, source="/tandem/pairing")
    manager = stack.auth_headers(MANAGER, ["program_manager"])

    async def known() -> bool:
        reply = await metrics.http.get("/programs/mx-prog/report", headers=manager)
        return reply.status_code == 200

    await wait_until(known, timeout_s=30)
    return {"program_id": "mx-prog"}


GOAL = {
    "topic_name": "ai_tools",
    "description": "Prompts",
    "target_level": 4,
    "milestones": [{"title": "First prompt"}],
}


def request_for(
    method: str, template: str, ids: dict[str, str], caller_id: str
) -> tuple[str, dict[str, Any]]:
    url = template.format(**ids) if ids else template
    options: dict[str, Any] = {}
    if template.endswith("/suggestions"):
        options["params"] = {"employee_id": MENTEE}
    if method == "POST" and template.endswith(("/accept", "/decline")):
        options["json"] = {"employee_id": caller_id}
    elif method == "POST" and template.endswith("/enrollments"):
        options["json"] = {
            "employee_id": MENTEE,
            "role": "mentee",
            "goals": [{"topic": "ai_tools", "priority": 3}],
            "availability": {
                "time_zone": "UTC",
                "slots": [{"weekday": 0, "start": "09:00", "end": "10:00"}],
            },
        }
    elif method == "POST" and template.endswith("/attendance"):
        options["json"] = {"outcome": "held", "minutes": 30}
    elif method == "POST" and template.endswith("/reschedule"):
        options["json"] = {"starts_at": "2099-01-05T09:00:00Z"}
    elif method == "POST" and template.endswith("/cancel"):
        options["json"] = {}
    elif method == "POST" and template.endswith("/feedback"):
        options["json"] = {"rating": 4, "usefulness": 4}
    elif template.endswith(("/goals", "/goals/{goal_id}")) and method in ("POST", "PUT"):
        options["json"] = GOAL
    elif method == "POST" and template.endswith("/answer"):
        options["json"] = {"score": 4}
    elif method == "POST" and template.endswith("/assessments/{phase}"):
        options["json"] = {"levels": [{"topic_name": "ai_tools", "level": 2}]}
    elif method == "POST" and template == "/programs":
        options["json"] = {
            "name": "n",
            "starts_on": "2027-01-11",
            "ends_on": "2027-02-11",
            "duration_weeks": 4,
            "session_minutes": 30,
            "topics": ["t"],
        }
    return url, options


@pytest.fixture
async def services(
    embedded_stack: StackInfo, unique: str
) -> AsyncIterator[dict[str, ServiceHarness]]:
    running: dict[str, ServiceHarness] = {}
    contexts = []
    try:
        for name in SERVICES:
            bootstrap = importlib.import_module(f"tandem_{name}.bootstrap")
            module = importlib.import_module(f"tandem_{name}.settings")
            settings = service_settings(
                getattr(module, f"{name.capitalize()}Settings"), embedded_stack, unique
            )
            context = running_service(bootstrap.build_app, settings)
            running[name] = await context.__aenter__()
            contexts.append(context)
        yield running
    finally:
        for context in reversed(contexts):
            await context.__aexit__(None, None, None)


async def test_every_route_answers_every_caller_as_its_rule_says(
    services: dict[str, ServiceHarness], embedded_stack: StackInfo
) -> None:
    ids_of = {
        "pairing": await seed(services["pairing"], embedded_stack),
        "scheduling": await seed_scheduling(services["scheduling"], embedded_stack),
        "feedback": await seed_feedback(services["feedback"], embedded_stack),
        "metrics": await seed_metrics(services["metrics"], embedded_stack),
    }
    failures: list[str] = []
    checked = 0
    for name, service in services.items():
        admin = embedded_stack.auth_headers("matrix", ["ops"])
        paths = (await service.http.get("/openapi.json", headers=admin)).json()["paths"]
        routes = [(m.upper(), p) for p, ops in paths.items() for m in ops if p not in PROBES]
        unruled = sorted(set(routes) - set(RULES))
        assert not unruled, f"{name}: routes without an authorisation rule: {unruled}"
        ordered = [r for r in RULES if r in routes]
        ids = ids_of.get(name, {})
        for method, template in ordered:
            for case, headers in bad_tokens(embedded_stack).items():
                url, options = request_for(method, template, ids, MANAGER)
                reply = await service.http.request(method, url, headers=headers, **options)
                checked += 1
                if reply.status_code != 401:
                    failures.append(f"{name} {method} {template} [{case}]: {reply.status_code}")
            for caller, (employee_id, roles) in CALLERS.items():
                url, options = request_for(method, template, ids, employee_id)
                headers = embedded_stack.auth_headers(employee_id, roles)
                reply = await service.http.request(method, url, headers=headers, **options)
                checked += 1
                allowed = caller in RULES[method, template]
                if allowed and reply.status_code in (401, 403):
                    failures.append(
                        f"{name} {method} {template} [{caller}] refused: {reply.status_code}"
                    )
                if not allowed and reply.status_code != 403:
                    failures.append(
                        f"{name} {method} {template} [{caller}] not 403: {reply.status_code}"
                    )
    assert not failures, "\n".join(failures)
    assert checked > 200
