"""A person's sessions as an RFC 5545 calendar (what Outlook, Google and Apple import).

Times are given in the person's own zone with its VTIMEZONE, each session keeps one UID for
good (its session id), SEQUENCE counts the moves, cancelled sessions stay with
STATUS:CANCELLED so a subscribed calendar removes them. Attendees are pseudonymous URNs: no
names or e-mail addresses are held by Tandem.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

from tandem_contracts.values import ProgramFormat
from tandem_scheduling.domain.sessions import Session, SessionStatus

TITLES = {
    ProgramFormat.ONE_TO_ONE: "Reverse mentoring 1:1",
    ProgramFormat.GROUP: "Reverse mentoring group session",
    ProgramFormat.WORKSHOP: "Reverse mentoring workshop",
    ProgramFormat.SHADOWING: "Shadowing (reverse mentoring)",
}
STATUS = {
    SessionStatus.SCHEDULED: "CONFIRMED",
    SessionStatus.HELD: "CONFIRMED",
    SessionStatus.MISSED: "CONFIRMED",
    SessionStatus.CANCELLED: "CANCELLED",
}
UID_DOMAIN = "tandem.scheduling"


def attendee(employee_id: str, role: str) -> vCalAddress:
    address = vCalAddress(f"urn:tandem:employee:{employee_id}")
    address.params["ROLE"] = "REQ-PARTICIPANT"
    address.params["CUTYPE"] = "INDIVIDUAL"
    address.params["X-TANDEM-ROLE"] = role
    return address


def person_calendar(employee_id: str, sessions: Iterable[Session], now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Tandem//Scheduling//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Tandem sessions")
    for session in sessions:
        own = (
            session.mentor_time_zone
            if employee_id == session.mentor_id
            else session.mentee_time_zone
        )
        tz = ZoneInfo(own)
        event = Event()
        event.add("uid", f"{session.session_id}@{UID_DOMAIN}")
        event.add("dtstamp", now)
        event.add("last-modified", session.updated_at)
        event.add("dtstart", session.starts_at.astimezone(tz))
        event.add("dtend", session.ends_at.astimezone(tz))
        event.add("sequence", session.revision)
        event.add("status", STATUS[session.status])
        event.add("summary", TITLES[session.format])
        event.add("categories", [session.format.value])
        event.add(
            "description",
            f"Session {session.sequence} of the series. Report attendance in Tandem afterwards.",
        )
        event.add(
            "transp", "TRANSPARENT" if session.status is SessionStatus.CANCELLED else "OPAQUE"
        )
        event.add("attendee", attendee(session.mentor_id, "mentor"))
        event.add("attendee", attendee(session.mentee_id, "mentee"))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical
