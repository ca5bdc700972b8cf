"""The k-anonymity rule every Tandem service applies to figures from people's answers: a
figure computed from fewer than k people's answers is never shown (feedback's reports, the
metrics service's KPIs).

Every such figure goes through `figure`: it counts the distinct people behind the values and,
below the threshold, hides both the value and the count (a count of 1 next to a pair's name
would say who answered).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel

MIN_THRESHOLD = 3
DEFAULT_THRESHOLD = 5


class Figure(BaseModel):
    value: float | None
    respondents: int | None
    suppressed: bool


SUPPRESSED = Figure(value=None, respondents=None, suppressed=True)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def figure(
    by_person: Mapping[str, Sequence[float]],
    k: int,
    reduce: Callable[[list[float]], float] = mean,
) -> Figure:
    """`reduce` over every value of the people who gave any, when at least k did."""
    if k < MIN_THRESHOLD:
        raise ValueError(f"the anonymity threshold is at least {MIN_THRESHOLD}")
    people = [p for p, values in by_person.items() if values]
    if len(people) < k:
        return SUPPRESSED
    values = [v for p in people for v in by_person[p]]
    return Figure(value=round(reduce(values), 4), respondents=len(people), suppressed=False)


def net_promoter(scores: list[float]) -> float:
    """% promoters (9-10) - % detractors (0-6), from -100 to 100."""
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return 100.0 * (promoters - detractors) / len(scores)


def per_person(by_person: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    """One value per person (the mean of theirs): a share "per person, averaged" counts a
    person who answered 10 of 10 once, like one who answered 0 of 1."""
    return {p: [mean(values)] for p, values in by_person.items() if values}


def latest_only(by_person: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    """One value per person (their last): each person counts once in an NPS."""
    return {p: [values[-1]] for p, values in by_person.items() if values}
