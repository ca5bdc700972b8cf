"""A person's sessions as an RFC 5545 calendar (what Outlook, Google and Apple import).

Times are given in the person's own zone with its VTIMEZONE, each meeting keeps one UID for
good (its session id, or a group's meeting id), SEQUENCE counts the moves, cancelled ones stay
with STATUS:CANCELLED so a subscribed calendar removes them. A feed, not an iTIP message: no
METHOD. Attendees are pseudonymous URNs: no
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
    """One event per meeting: a group's or workshop's mentor sees each weekly meeting once,
    with every member as an attendee, not once per pair."""
    calendar = Calendar()
    calendar.add("prodid", "-//Tandem//Scheduling//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Tandem sessions")
    meetings: dict[str, list[Session]] = {}
    for session in sessions:
        meetings.setdefault(session.meeting_id or session.session_id, []).append(session)
    for uid, members in meetings.items():
        calendar.add_component(_event(employee_id, uid, members, now))
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical


def _event(employee_id: str, uid: str, members: list[Session], now: datetime) -> Event:
    first = members[0]
    own = first.mentor_time_zone if employee_id == first.mentor_id else first.mentee_time_zone
    tz = ZoneInfo(own)
    live = [m for m in members if m.status is not SessionStatus.CANCELLED]
    shown = live[0] if live else first
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", now)
    event.add("last-modified", max(m.updated_at for m in members))
    event.add("dtstart", shown.starts_at.astimezone(tz))
    event.add("dtend", shown.ends_at.astimezone(tz))
    event.add("sequence", max(m.revision for m in members))
    event.add("status", STATUS[shown.status])
    event.add("summary", TITLES[first.format])
    event.add("categories", [first.format.value])
    event.add(
        "description",
        f"Session {first.sequence} of the series. Report attendance in Tandem afterwards.",
    )
    event.add("transp", "OPAQUE" if live else "TRANSPARENT")
    event.add("organizer", attendee(first.mentor_id, "mentor"))
    event.add("attendee", attendee(first.mentor_id, "mentor"))
    for member in members:
        event.add("attendee", attendee(member.mentee_id, "mentee"))
    return event
