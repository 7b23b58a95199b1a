"""The Calendar port on local .ics files: the embedded calendar of the demo and the simulator.

One file per calendar id in a folder. The file carries the rep's zone and working
hours (X-WR-TIMEZONE, X-DOCSHIELD-WORKING-HOURS); time outside working hours
reads as busy, as it does on a rep's real calendar. Inserts check for overlap
under a lock, so this adapter can raise SlotTaken where Google cannot.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from application.ports.calendar import (ERASED_DESCRIPTION, ERASED_SUMMARY, CalendarRefused, EventDraft, EventExists,
                                        SlotTaken)
from application.ports.calendar_credentials import CalendarAccess
from domain.meeting import Interval, Meeting
from domain.slot_finder import WorkingHours, zone

_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class IcsEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str = "Busy"
    description: str = ""
    attendee_email: str = ""
    video_link: str = ""

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def _fold(line: str) -> str:
    """RFC 5545 lines are at most 75 octets; longer ones continue on lines starting with a space."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


@dataclass(frozen=True)
class IcsFile:
    """One calendar: its zone, working hours and events."""

    timezone: str
    working_hours: WorkingHours
    events: tuple[IcsEvent, ...] = ()

    def render(self, calendar_id: str) -> str:
        hours = self.working_hours
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//DocShield//Embedded calendar//EN",
                 f"X-WR-CALNAME:{_escape(calendar_id)}", f"X-WR-TIMEZONE:{self.timezone}",
                 f"X-DOCSHIELD-WORKING-HOURS:{hours.start:%H:%M}-{hours.end:%H:%M}",
                 f"X-DOCSHIELD-WORKING-DAYS:{','.join(str(d) for d in sorted(hours.weekdays))}"]
        for event in self.events:
            lines += ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{event.start.astimezone(timezone.utc):{_STAMP}}",
                      f"DTSTART:{event.start.astimezone(timezone.utc):{_STAMP}}",
                      f"DTEND:{event.end.astimezone(timezone.utc):{_STAMP}}",
                      f"SUMMARY:{_escape(event.summary)}", "TRANSP:OPAQUE"]
            if event.description:
                lines.append(f"DESCRIPTION:{_escape(event.description)}")
            if event.attendee_email:
                lines.append(f"ATTENDEE;RSVP=TRUE:mailto:{event.attendee_email}")
            if event.video_link:
                lines.append(f"URL:{event.video_link}")
            lines.append("END:VEVENT")
        lines.append("END:VCALENDAR")
        return "\r\n".join(_fold(line) for line in lines) + "\r\n"

    @classmethod
    def parse(cls, text: str, source: str) -> "IcsFile":
        unfolded = re.sub(r"\r?\n[ \t]", "", text)
        props: dict[str, str] = {}
        events, current = [], None
        for number, line in enumerate(unfolded.splitlines(), 1):
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError(f"{source}: line {number} is not NAME:VALUE: {line[:40]!r}")
            key = name.split(";")[0].upper()
            if key == "BEGIN" and value == "VEVENT":
                current = {}
            elif key == "END" and value == "VEVENT":
                if current is None:
                    raise ValueError(f"{source}: END:VEVENT without BEGIN at line {number}")
                events.append(cls._event(current, source))
                current = None
            elif current is not None:
                current[key] = value
            else:
                props[key] = value
        hours = WorkingHours.parse(props.get("X-DOCSHIELD-WORKING-HOURS", "09:00-17:00"),
                                   frozenset(int(d) for d in props.get("X-DOCSHIELD-WORKING-DAYS", "0,1,2,3,4").split(",")))
        tz = props.get("X-WR-TIMEZONE", "UTC")
        zone(tz)
        return cls(timezone=tz, working_hours=hours, events=tuple(events))

    @staticmethod
    def _event(props: dict[str, str], source: str) -> IcsEvent:
        try:
            start = datetime.strptime(props["DTSTART"], _STAMP).replace(tzinfo=timezone.utc)
            end = datetime.strptime(props["DTEND"], _STAMP).replace(tzinfo=timezone.utc)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{source}: event {props.get('UID', '?')} needs UTC DTSTART/DTEND like "
                             f"20260311T140000Z") from exc
        return IcsEvent(uid=props.get("UID", ""), start=start, end=end, summary=_unescape(props.get("SUMMARY", "")),
                        description=_unescape(props.get("DESCRIPTION", "")),
                        attendee_email=props.get("ATTENDEE", "").removeprefix("mailto:"),
                        video_link=props.get("URL", ""))


class IcsCalendar:
    """Calendars as .ics files under `folder`. `video_base` forms the demo's video links."""

    def __init__(self, folder: str | os.PathLike, *, video_base: str = "https://meet.docshield.local/"):
        self.folder = Path(folder)
        self.video_base = video_base
        self._lock = asyncio.Lock()

    def path(self, calendar_id: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._@-]", "_", calendar_id)
        return self.folder / f"{safe}.ics"

    def seed(self, calendar_id: str, *, timezone_name: str, working_hours: WorkingHours,
             busy: list[Interval] = ()) -> Path:
        """Write (or replace) a calendar with these busy blocks; returns the file."""
        zone(timezone_name)
        events = tuple(IcsEvent(uid=f"busy-{n}-{hashlib.sha1(calendar_id.encode()).hexdigest()[:8]}",
                                start=b.start, end=b.end) for n, b in enumerate(busy))
        self.folder.mkdir(parents=True, exist_ok=True)
        return self._write(calendar_id, IcsFile(timezone_name, working_hours, events))

    def ensure(self, calendar_id: str, *, timezone_name: str, working_hours: WorkingHours) -> bool:
        """Create an empty calendar when there is none (a rep's first campaign on this machine); True if created.
        An existing calendar, with its meetings, is left alone."""
        if self.path(calendar_id).exists():
            return False
        self.seed(calendar_id, timezone_name=timezone_name, working_hours=working_hours)
        return True

    def read(self, calendar_id: str) -> IcsFile:
        path = self.path(calendar_id)
        if not path.exists():
            raise CalendarRefused(f"no calendar {calendar_id!r} (expected {path})", 404)
        return IcsFile.parse(path.read_text(encoding="utf-8"), str(path))

    def _write(self, calendar_id: str, calendar: IcsFile) -> Path:
        path = self.path(calendar_id)
        temporary = path.with_suffix(".ics.tmp")
        temporary.write_text(calendar.render(calendar_id), encoding="utf-8", newline="")
        os.replace(temporary, path)  # readers never see half a file
        return path

    def _off_hours(self, calendar: IcsFile, window: Interval) -> list[Interval]:
        tz = zone(calendar.timezone)
        first, last = (window.start - timedelta(days=1)).date(), (window.end + timedelta(days=1)).date()
        open_windows = calendar.working_hours.windows(tz, first, last)
        blocks, cursor = [], window.start
        for opened in open_windows:
            if opened.start > cursor:
                blocks.append(Interval(cursor, min(opened.start, window.end)))
            cursor = max(cursor, opened.end)
            if cursor >= window.end:
                break
        if cursor < window.end:
            blocks.append(Interval(cursor, window.end))
        return [b for b in blocks if b.end > b.start]

    async def busy(self, access: CalendarAccess, calendar_id: str, window: Interval) -> list[Interval]:
        calendar = await asyncio.to_thread(self.read, calendar_id)
        blocks = [e.interval for e in calendar.events if e.interval.overlaps(window)]
        blocks += self._off_hours(calendar, window)
        return sorted(blocks, key=lambda b: b.start)

    async def insert(self, access: CalendarAccess, calendar_id: str, draft: EventDraft) -> Meeting:
        async with self._lock:
            calendar = await asyncio.to_thread(self.read, calendar_id)
            if any(e.uid == draft.event_id for e in calendar.events):
                raise EventExists(draft.event_id)
            if any(e.interval.overlaps(draft.interval) for e in calendar.events) or self._off_hours(
                    calendar, draft.interval):
                raise SlotTaken(draft.interval)
            event = IcsEvent(uid=draft.event_id, start=draft.start.astimezone(timezone.utc),
                             end=draft.end.astimezone(timezone.utc), summary=draft.summary,
                             description=draft.description, attendee_email=draft.attendee_email,
                             video_link=f"{self.video_base}{draft.event_id}" if draft.video_conference else "")
            updated = IcsFile(calendar.timezone, calendar.working_hours, calendar.events + (event,))
            await asyncio.to_thread(self._write, calendar_id, updated)
        return self._meeting(event, calendar_id)

    async def get(self, access: CalendarAccess, calendar_id: str, event_id: str) -> Meeting | None:
        calendar = await asyncio.to_thread(self.read, calendar_id)
        event = next((e for e in calendar.events if e.uid == event_id), None)
        return self._meeting(event, calendar_id) if event else None

    async def forget_attendee(self, access: CalendarAccess, calendar_id: str, event_id: str) -> bool:
        async with self._lock:
            if not self.path(calendar_id).exists():
                return False
            calendar = await asyncio.to_thread(self.read, calendar_id)
            if not any(e.uid == event_id for e in calendar.events):
                return False
            events = tuple(replace(e, summary=ERASED_SUMMARY, description=ERASED_DESCRIPTION, attendee_email="")
                           if e.uid == event_id else e for e in calendar.events)
            await asyncio.to_thread(self._write, calendar_id,
                                    IcsFile(calendar.timezone, calendar.working_hours, events))
        return True

    @staticmethod
    def _meeting(event: IcsEvent, calendar_id: str) -> Meeting:
        return Meeting(start=event.start, end=event.end, event_id=event.uid, attendee_email=event.attendee_email,
                       video_link=event.video_link, calendar_id=calendar_id)


class LocalCalendarAccess:
    """For the embedded ICS calendar, which needs no token."""

    async def for_rep(self, rep: str) -> CalendarAccess:
        return CalendarAccess(token=None, rep=rep)

    async def invalidate(self, rep: str) -> None:
        return None
