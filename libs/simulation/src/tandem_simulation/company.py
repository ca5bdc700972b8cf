"""A synthetic company for the benchmark, the demo and tests (fixed seed, no personal data).

Employees sit in teams inside departments under a manager tree; regions bring languages and
time zones; everyone is free a few working-hour windows a week; topic popularity is skewed
(everyone wants AI), so matching has to spread the popular mentors well. Half the company
(the most senior) enrolls as mentees, the most junior quarter as mentors with capacity 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np

from tandem_contracts.events import EmployeeHired, TopicExpertise, TopicGoal
from tandem_contracts.values import Generation, Role, Weekday, WeeklySlot

TOPIC_NAMES = (
    "ai_tools",
    "prompting",
    "social_media",
    "linkedin",
    "agile",
    "scrum",
    "kanban",
    "remote_work",
    "collaboration_tools",
    "data_literacy",
    "spreadsheets",
    "dashboards",
    "cloud_basics",
    "cybersecurity",
    "privacy",
    "diversity",
    "inclusion",
    "new_work",
    "video_editing",
    "podcasting",
    "no_code",
    "automation",
    "design_thinking",
    "gaming",
    "crypto",
    "mobile_apps",
    "e_commerce",
    "personal_branding",
    "streaming",
    "sustainability_tech",
)
REGIONS = (
    ("Europe/Berlin", ("de", "en")),
    ("Europe/London", ("en",)),
    ("America/New_York", ("en",)),
    ("America/Los_Angeles", ("en", "es")),
    ("Asia/Tokyo", ("ja", "en")),
    ("Asia/Kolkata", ("hi", "en")),
    ("America/Sao_Paulo", ("pt", "es")),
    ("Europe/Paris", ("fr", "en")),
    ("Europe/Berlin", ("de",)),
)
REGION_WEIGHTS = np.array([0.22, 0.12, 0.16, 0.1, 0.08, 0.1, 0.06, 0.1, 0.06])
DEPARTMENTS = (
    "Engineering",
    "Marketing",
    "Sales",
    "Finance",
    "People",
    "Operations",
    "Legal",
    "Product",
    "Design",
    "Support",
    "Data",
    "Procurement",
)
REFERENCE = date(2027, 1, 11)
TEAM_SIZE = 8
TEAMS_STRIDE = TEAM_SIZE * len(DEPARTMENTS)


@dataclass(frozen=True)
class SyntheticPerson:
    employee_id: str
    manager_id: str | None
    department: str
    team: str
    job_level: int
    birth_year: int
    languages: tuple[str, ...]
    time_zone: str
    slots: tuple[WeeklySlot, ...]
    role: Role | None
    topics: dict[str, int]
    capacity: int

    def hr_event(self) -> EmployeeHired:
        return EmployeeHired(
            employee_id=self.employee_id,
            manager_id=self.manager_id,
            department=self.department,
            team=self.team,
            job_level=self.job_level,
            birth_year=self.birth_year,
            generation=_generation(self.birth_year),
            languages=self.languages,
            time_zone=self.time_zone,
            hired_on=date(2020, 1, 1),
            effective_at=datetime(2026, 1, 1, tzinfo=UTC),
        )

    def enrollment_request(self) -> dict[str, object]:
        """The JSON body a person would POST to enroll."""
        availability = {
            "time_zone": self.time_zone,
            "slots": [
                {
                    "weekday": int(s.weekday),
                    "start": s.start.isoformat("minutes"),
                    "end": s.end.isoformat("minutes"),
                }
                for s in self.slots
            ],
        }
        body: dict[str, object] = {
            "employee_id": self.employee_id,
            "role": self.role.value if self.role else None,
            "languages": list(self.languages),
            "availability": availability,
        }
        if self.role is Role.MENTOR:
            body["expertise"] = [
                TopicExpertise(topic=t, level=v).model_dump() for t, v in self.topics.items()
            ]
            body["capacity"] = self.capacity
        else:
            body["goals"] = [
                TopicGoal(topic=t, priority=v).model_dump() for t, v in self.topics.items()
            ]
        return body


def company(size: int, seed: int = 7) -> list[SyntheticPerson]:
    rng = np.random.default_rng(seed)
    levels = np.clip(np.rint(rng.gamma(2.2, 1.6, size)), 0, 12).astype(int)
    departments = rng.integers(0, len(DEPARTMENTS), size)
    regions = rng.choice(len(REGIONS), size, p=REGION_WEIGHTS / REGION_WEIGHTS.sum())
    birth_years = 2004 - 3 * levels - rng.integers(0, 6, size)
    ids = [f"emp-{n:06d}" for n in range(size)]
    managers = _manager_tree(ids, departments, levels)
    order = np.argsort(-levels, kind="stable")
    mentees = set(order[: size // 2].tolist())
    mentors = set(order[size - size // 4 :].tolist())
    topic_popularity = 1.0 / np.arange(1, len(TOPIC_NAMES) + 1) ** 0.8
    topic_popularity /= topic_popularity.sum()
    people = []
    for n in range(size):
        role = Role.MENTEE if n in mentees else Role.MENTOR if n in mentors else None
        how_many = int(rng.integers(1, 4)) if role is Role.MENTEE else int(rng.integers(1, 5))
        chosen = rng.choice(len(TOPIC_NAMES), how_many, replace=False, p=topic_popularity)
        topics = {
            TOPIC_NAMES[t]: int(rng.integers(2 if role is Role.MENTOR else 1, 6)) for t in chosen
        }
        zone, languages = REGIONS[regions[n]]
        people.append(
            SyntheticPerson(
                employee_id=ids[n],
                manager_id=managers[n],
                department=DEPARTMENTS[departments[n]],
                team=f"{DEPARTMENTS[departments[n]][:3].lower()}-{n // TEAMS_STRIDE}",
                job_level=int(levels[n]),
                birth_year=int(birth_years[n]),
                languages=languages,
                time_zone=zone,
                slots=_slots(rng),
                role=role,
                topics=topics if role else {},
                capacity=2 if role is Role.MENTOR else 1,
            )
        )
    return people


def _manager_tree(ids: list[str], departments: np.ndarray, levels: np.ndarray) -> list[str | None]:
    """Teams of ~8 under their most senior member, team leads under the department head."""
    managers: list[str | None] = [None] * len(ids)
    ceo = int(np.argmax(levels))
    for d in range(len(DEPARTMENTS)):
        members = np.flatnonzero(departments == d)
        if len(members) == 0:
            continue
        members = members[np.argsort(-levels[members], kind="stable")]
        head = int(members[0])
        if head != ceo:
            managers[head] = ids[ceo]
        rest = members[1:]
        n_teams = max(1, len(rest) // TEAM_SIZE)
        leads = rest[:n_teams]
        for lead in leads:
            managers[int(lead)] = ids[head]
        for k, member in enumerate(rest[n_teams:]):
            managers[int(member)] = ids[int(leads[k % n_teams])]
    return managers


def _slots(rng: np.random.Generator) -> tuple[WeeklySlot, ...]:
    slots = []
    for day in sorted(rng.choice(5, int(rng.integers(2, 5)), replace=False).tolist()):
        start = int(rng.integers(16, 34))  # half-hours: 08:00 .. 16:30
        length = int(rng.integers(2, 5))
        end = min(start + length, 38)
        slots.append(WeeklySlot(weekday=Weekday(day), start=_half_hour(start), end=_half_hour(end)))
    return tuple(slots)


def _half_hour(index: int) -> time:
    return time(index // 2, 30 * (index % 2))


def _generation(birth_year: int) -> Generation:
    if birth_year >= 2013:
        return Generation.GEN_ALPHA
    if birth_year >= 1997:
        return Generation.GEN_Z
    if birth_year >= 1981:
        return Generation.MILLENNIAL
    if birth_year >= 1965:
        return Generation.GEN_X
    return Generation.BABY_BOOMER
