"""A digest of each service's final state that two runs of the same scenario can compare.

Two runs create different random ids (programs, runs, pairs, enrollments); the digest writes
every id by what it names instead (`pair:<mentor>/<mentee>`, `enrollment:<employee>/<role>`,
sessions by pair and sequence), and ids derived from those by a hash (`fb-…`, `asm-…`) by a
placeholder (the fields they are derived from are in the same document). Left out: the
plumbing whose content depends on timing, not on what happened (inbox markers, outbox entries,
leases, write counters of lock documents; of a matching run only its result is kept, not its
timings).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient

PLUMBING = {"inbox", "outbox", "leases", "locks", "calendar_locks", "person_locks", "staged_pairs"}
TIMING_FIELDS = {"published_at", "processed_at", "writes", "attempts", "worker_id", "lease_until"}
COUNTERS = {"program_rosters": {"version"}}
"""Concurrency tokens: how many transactions touched a document, which depends on how the
consumer happened to batch the records, not on what they said."""
RUN_FIELDS = {"status", "proposed", "certified_optimal", "average_score", "mentees", "mentors"}
DERIVED = re.compile(
    r"\b(ses|fb|asm|mtg)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


@dataclass(frozen=True)
class ServiceState:
    digest: str
    collections: dict[str, list[str]]
    """Each collection's documents, canonical and sorted (to show what differs)."""


def _drop_timing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_timing(v) for k, v in value.items() if k not in TIMING_FIELDS}
    if isinstance(value, list):
        return [_drop_timing(v) for v in value]
    return value


async def _names(
    client: AsyncMongoClient[dict[str, Any]], pairing_db: str, scheduling_db: str
) -> dict[str, str]:
    """Random id → what it names, longest ids first when substituted."""
    pairing, scheduling = client[pairing_db], client[scheduling_db]
    names: dict[str, str] = {}
    async for p in pairing["programs"].find({}, {"program_id": 1, "name": 1}):
        names[p["program_id"]] = f"program:{p['name']}"
    runs = await pairing["matching_runs"].find({}, {"run_id": 1}).sort("created_at", 1).to_list()
    for n, r in enumerate(runs):
        names[r["run_id"]] = f"run:{n}"
    async for e in pairing["enrollments"].find(
        {}, {"enrollment_id": 1, "employee_id": 1, "role": 1}
    ):
        names[e["enrollment_id"]] = f"enrollment:{e['employee_id']}/{e['role']}"
    async for p in pairing["pairs"].find({}, {"pair_id": 1, "mentor_id": 1, "mentee_id": 1}):
        names[p["pair_id"]] = f"pair:{p['mentor_id']}/{p['mentee_id']}"
    async for s in scheduling["sessions"].find({}, {"session_id": 1, "pair_id": 1, "sequence": 1}):
        pair = names.get(s["pair_id"], s["pair_id"])
        names[s["session_id"]] = f"session:{pair}/{s['sequence']}"
    return names


def _canonical(
    document: Mapping[str, Any], names: Mapping[str, str], pattern: re.Pattern[str]
) -> str:
    text = json.dumps(_drop_timing(dict(document)), sort_keys=True, default=str)
    text = pattern.sub(lambda m: names[m.group(0)], text) if names else text
    return DERIVED.sub(lambda m: f"{m.group(1)}-*", text)


async def state_digests(mongo_uri: str, databases: Mapping[str, str]) -> dict[str, ServiceState]:
    """`databases`: service name → its database (the four services of one deployment)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri)
    try:
        names = await _names(client, databases["pairing"], databases["scheduling"])
        pattern = re.compile("|".join(re.escape(i) for i in sorted(names, key=len, reverse=True)))
        states: dict[str, ServiceState] = {}
        for service, database in databases.items():
            db = client[database]
            collections: dict[str, list[str]] = {}
            for name in sorted(await db.list_collection_names()):
                if name in PLUMBING:
                    continue
                projection = dict.fromkeys(RUN_FIELDS, 1) if name == "matching_runs" else None
                documents = await db[name].find({}, projection).to_list()
                for d in documents:
                    if projection is not None:
                        d.pop("_id", None)
                    for counter in COUNTERS.get(name, ()):
                        d.pop(counter, None)
                collections[name] = sorted(_canonical(d, names, pattern) for d in documents)
            text = json.dumps(collections, sort_keys=True)
            states[service] = ServiceState(hashlib.sha256(text.encode()).hexdigest(), collections)
        return states
    finally:
        await client.close()


def differences(a: ServiceState, b: ServiceState, limit: int = 5) -> list[str]:
    """What differs between two states: documents only one holds (by `_id`), and for the
    documents both hold, the paths whose values differ."""
    found: list[str] = []
    for name in sorted(set(a.collections) | set(b.collections)):
        left = _by_id(a.collections.get(name, []))
        right = _by_id(b.collections.get(name, []))
        shown = 0
        for key in sorted(set(left) | set(right)):
            if left.get(key) == right.get(key) or shown >= limit:
                continue
            shown += 1
            if key not in right:
                found.append(f"{name} {key}: only in the first")
            elif key not in left:
                found.append(f"{name} {key}: only in the second")
            else:
                paths = _paths(left[key], right[key])
                found.append(f"{name} {key}: " + "; ".join(paths[:limit]))
    return found


def _by_id(documents: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for n, text in enumerate(documents):
        document = json.loads(text)
        found[str(document.get("_id", f"#{n}"))] = document
    return found


def _paths(a: Any, b: Any, at: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [p for k in sorted(set(a) | set(b)) for p in _paths(a.get(k), b.get(k), f"{at}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _paths(x, y, f"{at}[{i}]")
        ]
    return [] if a == b else [f"{at or '.'}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}"]
