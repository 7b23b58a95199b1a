"""The Calendar port on Google Calendar v3 (google-api-python-client, OAuth bearer tokens).

Requests are built on the event loop and executed in a worker thread, each on a
new httplib2.Http (it is not thread-safe), so a slow Google never stalls a call.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import socket
from datetime import datetime, timezone

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from application.errors import TransientFault
from application.ports.calendar import (ERASED_DESCRIPTION, ERASED_SUMMARY, CalendarRefused, CalendarUnauthorized,
                                        EventDraft, EventExists)
from application.ports.calendar_credentials import CalendarAccess
from domain.meeting import Interval, Meeting

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/calendar",)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _google_reason(error: HttpError) -> str:
    try:
        data = json.loads(error.content)
        errors = data["error"].get("errors") or [{}]
        return errors[0].get("reason") or data["error"].get("message") or str(error.status_code)
    except (ValueError, KeyError, TypeError, AttributeError):
        return error.reason or str(error.status_code)


class GoogleCalendar:
    """Calendar v3 over HTTP. `api_endpoint` points elsewhere (a local stub) in tests;
    `timeout_s` bounds each HTTP exchange."""

    def __init__(self, *, api_endpoint: str | None = None, timeout_s: float = 10.0):
        options = {"api_endpoint": api_endpoint} if api_endpoint else None
        # The service only builds requests; each execute() gets its own authorised Http.
        self._service = build("calendar", "v3", http=httplib2.Http(), static_discovery=True, client_options=options,
                              cache_discovery=False)
        self.timeout_s = timeout_s

    async def busy(self, access: CalendarAccess, calendar_id: str, window: Interval) -> list[Interval]:
        request = self._service.freebusy().query(body={
            "timeMin": _rfc3339(window.start), "timeMax": _rfc3339(window.end), "items": [{"id": calendar_id}]})
        answer = await self._execute(access, request, "freeBusy")
        calendar = (answer.get("calendars") or {}).get(calendar_id) or {}
        if calendar.get("errors"):
            reason = calendar["errors"][0].get("reason", "unknown")
            # freeBusy reports per-calendar failures inside a 200: "notFound" is final, backend errors are not.
            if reason == "backendError":
                raise TransientFault("google_calendar", "freeBusy backend error for the rep's calendar")
            raise CalendarRefused(f"freeBusy: {reason}", 200)
        blocks = [Interval(_parse_time(b["start"]), _parse_time(b["end"])) for b in calendar.get("busy", [])]
        return sorted(blocks, key=lambda b: b.start)

    async def insert(self, access: CalendarAccess, calendar_id: str, draft: EventDraft) -> Meeting:
        body = {
            "id": draft.event_id,
            "summary": draft.summary,
            "description": draft.description,
            "start": {"dateTime": _rfc3339(draft.start), "timeZone": draft.time_zone},
            "end": {"dateTime": _rfc3339(draft.end), "timeZone": draft.time_zone},
            "attendees": [{"email": draft.attendee_email}],
            "reminders": {"useDefault": True},
        }
        if draft.video_conference:
            # Derived from the event id so that a retried insert asks for the same conference.
            request_id = hashlib.sha256(f"meet:{draft.event_id}".encode()).hexdigest()[:32]
            body["conferenceData"] = {"createRequest": {"requestId": request_id,
                                                        "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
        request = self._service.events().insert(calendarId=calendar_id, body=body, conferenceDataVersion=1,
                                                sendUpdates="all")
        try:
            event = await self._execute(access, request, "events.insert")
        except CalendarRefused as exc:
            if exc.status == 409:
                raise EventExists(draft.event_id) from exc
            raise
        return self._meeting(event, calendar_id)

    async def get(self, access: CalendarAccess, calendar_id: str, event_id: str) -> Meeting | None:
        request = self._service.events().get(calendarId=calendar_id, eventId=event_id)
        try:
            event = await self._execute(access, request, "events.get")
        except CalendarRefused as exc:
            if exc.status in (404, 410):
                return None
            raise
        if event.get("status") == "cancelled":
            return None
        return self._meeting(event, calendar_id)

    async def forget_attendee(self, access: CalendarAccess, calendar_id: str, event_id: str) -> bool:
        # patch, not update: the times, the Meet link and the rep's own settings stay as they are.
        # sendUpdates="none": the contact asked to be forgotten, not to receive a cancellation.
        request = self._service.events().patch(
            calendarId=calendar_id, eventId=event_id, sendUpdates="none",
            body={"attendees": [], "summary": ERASED_SUMMARY, "description": ERASED_DESCRIPTION})
        try:
            event = await self._execute(access, request, "events.patch")
        except CalendarRefused as exc:
            if exc.status in (404, 410):
                return False
            raise
        # A deleted event stays readable (status "cancelled") for a while: scrubbed now, but no meeting.
        return event.get("status") != "cancelled"

    # --- plumbing ----------------------------------------------------------------------------

    @staticmethod
    def _meeting(event: dict, calendar_id: str) -> Meeting:
        video = event.get("hangoutLink") or next(
            (p.get("uri", "") for p in (event.get("conferenceData") or {}).get("entryPoints", [])
             if p.get("entryPointType") == "video"), "")
        attendees = event.get("attendees") or [{}]
        return Meeting(start=_parse_time(event["start"]["dateTime"]), end=_parse_time(event["end"]["dateTime"]),
                       event_id=event["id"], attendee_email=attendees[0].get("email", ""), video_link=video,
                       calendar_id=calendar_id)

    def _credentials(self, access: CalendarAccess) -> Credentials:
        expiry = access.expires_at.astimezone(timezone.utc).replace(tzinfo=None) if access.expires_at else None
        # No refresh fields: the credentials adapter refreshes; a token past its expiry is unauthorized here.
        return Credentials(token=access.token, expiry=expiry, scopes=list(SCOPES))

    async def _execute(self, access: CalendarAccess, request, operation: str) -> dict:
        http = google_auth_httplib2.AuthorizedHttp(self._credentials(access),
                                                   http=httplib2.Http(timeout=self.timeout_s))
        try:
            return await asyncio.to_thread(request.execute, http=http, num_retries=0)
        except HttpError as exc:
            status, reason = exc.status_code, _google_reason(exc)
            log.info("google calendar %s answered %s (%s)", operation, status, reason)
            if status == 401:
                raise CalendarUnauthorized(f"{operation}: {reason}") from exc
            if status == 429 or status >= 500 or (status == 403 and reason in ("rateLimitExceeded",
                                                                              "userRateLimitExceeded")):
                raise TransientFault("google_calendar", f"{operation} answered {status} ({reason})") from exc
            raise CalendarRefused(f"{operation}: {reason}", status) from exc
        except google.auth.exceptions.RefreshError as exc:  # the token expired; refreshing is not ours to do
            raise CalendarUnauthorized(f"{operation}: access token expired") from exc
        except (google.auth.exceptions.TransportError, httplib2.HttpLib2Error, socket.timeout, TimeoutError,
                ConnectionError, OSError) as exc:
            raise TransientFault("google_calendar", f"{operation}: {type(exc).__name__}: {exc}") from exc
