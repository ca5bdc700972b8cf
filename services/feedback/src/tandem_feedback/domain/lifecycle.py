"""What a pair's end does to its windows: the midpoint and later MQS surveys not yet due are
dropped, the final assessment and the NPS move to the end (never later than planned)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tandem_contracts.events import AssessmentPhase, SurveyKind
from tandem_feedback.domain.assessments import AssessmentRound
from tandem_feedback.domain.surveys import Survey


def rounds_at_end(rounds: list[AssessmentRound], at: datetime) -> list[AssessmentRound]:
    changed: list[AssessmentRound] = []
    for r in rounds:
        if r.phase is AssessmentPhase.FINAL and at < r.opens_at:
            changed.append(r.move(at))
        elif r.phase is AssessmentPhase.MIDPOINT and at < r.opens_at:
            changed.append(r.cancel_if_planned())
        else:
            changed.append(r)
    return changed


def surveys_at_end(surveys: list[Survey], at: datetime, window: timedelta) -> list[Survey]:
    changed: list[Survey] = []
    for s in surveys:
        if s.kind is SurveyKind.NPS and at < s.opens_at:
            changed.append(s.move(at, window))
        elif s.kind is SurveyKind.MQS and at < s.opens_at:
            changed.append(s.cancel_if_planned())
        else:
            changed.append(s)
    return changed
