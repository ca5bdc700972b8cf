"""How simulated participants behave during a program, seeded and order-independent.

Every decision is a pure function of the seed and stable names (the two people of a pair, a
session's sequence number, a topic), never of the order in which the simulator meets them or
of generated ids: two runs of the same scenario make the same decisions even when a crash
makes one of them retry, so their outcomes can be compared.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from enum import StrEnum


class SessionFate(StrEnum):
    HELD = "held"
    """Both meet; the mentor reports it held (the mentee sometimes too)."""
    MISSED = "missed"
    """The mentee does not show up; the mentor reports `partner_absent`."""
    UNREPORTED = "unreported"
    """Nobody reports anything: the scheduling service expires it as missed (unconfirmed)."""
    CANCELLED = "cancelled"
    """The mentor cancels it the day before."""
    RESCHEDULED = "rescheduled"
    """The mentor moves it within its day the day before; then it is held."""


@dataclass(frozen=True)
class Rates:
    """Shares of what people do; the rest of a session's chances is `HELD`."""

    missed: float = 0.05
    unreported: float = 0.04
    cancelled: float = 0.05
    rescheduled: float = 0.06
    mentee_reports_too: float = 0.5
    feedback_mentor: float = 0.7
    feedback_mentee: float = 0.8
    baseline: float = 0.92
    midpoint: float = 0.7
    final: float = 0.85
    mqs: float = 0.7
    nps: float = 0.75

    def assessment_rate(self, phase: str) -> float:
        return {"baseline": self.baseline, "midpoint": self.midpoint, "final": self.final}[phase]


@dataclass(frozen=True)
class Feedback:
    rating: int
    usefulness: int


class Behaviour:
    def __init__(self, seed: int, rates: Rates | None = None) -> None:
        self.seed = seed
        self.rates = rates or Rates()

    def _u(self, *parts: object) -> float:
        """A uniform number in [0, 1) named by `parts`."""
        text = "\x1f".join([str(self.seed), *map(str, parts)]).encode()
        digest = hashlib.blake2b(text, digest_size=8).digest()
        (value,) = struct.unpack(">Q", digest)
        return float(value / 2**64)

    def _pick(self, low: int, high: int, *parts: object) -> int:
        """An integer in [low, high] named by `parts`."""
        return low + int(self._u(*parts) * (high - low + 1))

    def session_fate(self, mentor_id: str, mentee_id: str, sequence: int) -> SessionFate:
        r = self.rates
        u = self._u("session", mentor_id, mentee_id, sequence)
        for fate, share in (
            (SessionFate.MISSED, r.missed),
            (SessionFate.UNREPORTED, r.unreported),
            (SessionFate.CANCELLED, r.cancelled),
            (SessionFate.RESCHEDULED, r.rescheduled),
        ):
            if u < share:
                return fate
            u -= share
        return SessionFate.HELD

    def held_minutes(self, mentor_id: str, mentee_id: str, sequence: int, planned: int) -> int:
        """Most sessions run their length; some end a little early."""
        if self._u("minutes", mentor_id, mentee_id, sequence) < 0.7:
            return planned
        return max(15, planned - 5 * self._pick(1, 3, "short", mentor_id, mentee_id, sequence))

    def mentee_reports_too(self, mentor_id: str, mentee_id: str, sequence: int) -> bool:
        return self._u("both", mentor_id, mentee_id, sequence) < self.rates.mentee_reports_too

    def feedback(self, side: str, mentor_id: str, mentee_id: str, sequence: int) -> Feedback | None:
        """What `side` (mentor or mentee) answers about a held session, or None."""
        rate = self.rates.feedback_mentor if side == "mentor" else self.rates.feedback_mentee
        if self._u("feedback", side, mentor_id, mentee_id, sequence) >= rate:
            return None
        rating = self._pick(2, 5, "rating", side, mentor_id, mentee_id, sequence)
        useful = self._pick(2, 5, "useful", side, mentor_id, mentee_id, sequence)
        return Feedback(max(rating, 3) if side == "mentee" else rating, useful)

    def assesses(self, role: str, mentor_id: str, mentee_id: str, phase: str) -> bool:
        u = self._u("assesses", role, mentor_id, mentee_id, phase)
        return u < self.rates.assessment_rate(phase)

    def level(self, role: str, mentor_id: str, mentee_id: str, topic: str, phase: str) -> int:
        """The mentee's level in `topic` as `role` sees it: growing over the program."""
        start = self._pick(1, 3, "level", role, mentor_id, mentee_id, topic)
        if phase == "baseline":
            return start
        gain = self._pick(0, 2, "gain", role, mentor_id, mentee_id, topic)
        return min(5, start + (gain if phase == "final" else gain // 2))

    def survey_score(self, kind: str, person_id: str, mentor_id: str, mentee_id: str) -> int | None:
        """An MQS answer (1-5) or an NPS answer (0-10), or None for no answer."""
        rate = self.rates.mqs if kind == "mqs" else self.rates.nps
        if self._u("answers", kind, person_id, mentor_id, mentee_id) >= rate:
            return None
        if kind == "mqs":
            return self._pick(2, 5, "mqs", person_id, mentor_id, mentee_id)
        return min(10, self._pick(5, 11, "nps", person_id, mentor_id, mentee_id))
