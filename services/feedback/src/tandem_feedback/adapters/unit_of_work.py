"""The feedback service's unit of work: one MongoDB transaction over its repositories."""

from __future__ import annotations

from tandem_feedback.adapters.repositories import (
    MongoPairs,
    MongoPrograms,
    MongoRounds,
    MongoSessionFeedback,
    MongoSheets,
    MongoSurveys,
)
from tandem_servicekit.uow import MongoUnitOfWork


class MongoFeedbackUnitOfWork(MongoUnitOfWork):
    programs: MongoPrograms
    pairs: MongoPairs
    sheets: MongoSheets
    sessions: MongoSessionFeedback
    rounds: MongoRounds
    surveys: MongoSurveys

    def _open_repositories(self) -> None:
        s, t = self.session, self.tracker
        self.programs = MongoPrograms(self.collection("programs"), s, t)
        self.pairs = MongoPairs(self.collection("pairs"), s, t)
        self.sheets = MongoSheets(self.collection("sheets"), s, t)
        self.sessions = MongoSessionFeedback(self.collection("sessions"), s, t)
        self.rounds = MongoRounds(self.collection("rounds"), s, t)
        self.surveys = MongoSurveys(self.collection("surveys"), s, t)

    async def forget_person(self, employee_id: str, pseudonym: str) -> int:
        await self.remember_erased(employee_id)
        return await self.scrub_outbox(employee_id, pseudonym)
