"""Program surveys: the Mentoring Quality Score (each member rates the relationship 1-5 on day
30 of the pair, then every 60 days) and the Net Promoter Score (0-10, at the pair's end).
Each opens for a window; an answer outside it is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from tandem_contracts.events import SurveyAnswered, SurveyDue, SurveyKind
from tandem_contracts.values import Role
from tandem_feedback.domain.checkpoints import Checkpoint, WindowStatus
from tandem_feedback.domain.errors import InvalidSubmission, NotNow

SCALES = {SurveyKind.MQS: (1, 5), SurveyKind.NPS: (0, 10)}


class SurveyAnswer(BaseModel):
    respondent_id: str
    score: int
    answered_at: datetime


def survey_id(pair_id: str, kind: SurveyKind, sequence: int) -> str:
    return f"{pair_id}.{kind.value}.{sequence}"


class Survey(Checkpoint):
    survey_id: str
    kind: SurveyKind
    sequence: int
    closes_at: datetime
    answers: dict[Role, SurveyAnswer] = {}

    def answered_by(self) -> set[Role]:
        return set(self.answers)

    def open(self, now: datetime) -> Survey:
        if self.status is not WindowStatus.PLANNED:
            return self
        opened = self.model_copy(update={"status": WindowStatus.OPEN, "wake_at": None})
        if now >= self.closes_at:  # opened too late to be answered (lag, downtime): not announced
            return opened
        return opened.announcing(SurveyDue)

    def move(self, opens_at: datetime, window: timedelta) -> Survey:
        """A planned survey opens at another time (the NPS, when the pair ends early)."""
        if self.status is not WindowStatus.PLANNED:
            return self
        return self.model_copy(
            update={"opens_at": opens_at, "closes_at": opens_at + window, "wake_at": opens_at}
        )

    def answer(self, role: Role, respondent_id: str, score: int, now: datetime) -> Survey:
        low, high = SCALES[self.kind]
        if not low <= score <= high:
            raise InvalidSubmission("score", f"a {self.kind.value} score is {low}-{high}")
        if not self.is_opened_by(now):
            what = "was dropped" if self.status is WindowStatus.CANCELLED else "is not open yet"
            raise NotNow(f"this survey {what} (it opens {self.opens_at.isoformat()})")
        if now >= self.closes_at:
            raise NotNow(f"this survey closed at {self.closes_at.isoformat()}")
        if role in self.answers:
            raise NotNow("answered already")
        answer = SurveyAnswer(respondent_id=respondent_id, score=score, answered_at=now)
        changed = self.model_copy(update={"answers": {**self.answers, role: answer}})
        return changed.announcing(
            SurveyAnswered, respondent_role=role, score=score, answered_at=now
        )

    def _renamed_answers(self, employee_id: str, pseudonym: str) -> dict[str, object]:
        answers = {
            role: a.model_copy(
                update={
                    "respondent_id": pseudonym
                    if a.respondent_id == employee_id
                    else a.respondent_id
                }
            )
            for role, a in self.answers.items()
        }
        return {"answers": answers}

    def is_closed_at(self, now: datetime) -> bool:
        return now >= self.closes_at


def new_surveys(
    *,
    pair_id: str,
    program_id: str,
    mentor_id: str,
    mentee_id: str,
    mqs_openings: list[datetime],
    nps_opens: datetime,
    window: timedelta,
) -> list[Survey]:
    common = {
        "pair_id": pair_id,
        "program_id": program_id,
        "mentor_id": mentor_id,
        "mentee_id": mentee_id,
    }
    planned = [(SurveyKind.MQS, n, at) for n, at in enumerate(mqs_openings, start=1)]
    planned.append((SurveyKind.NPS, 1, nps_opens))
    return [
        Survey(
            **common,
            survey_id=survey_id(pair_id, kind, n),
            kind=kind,
            sequence=n,
            opens_at=at,
            closes_at=at + window,
            wake_at=at,
        )
        for kind, n, at in planned
    ]
