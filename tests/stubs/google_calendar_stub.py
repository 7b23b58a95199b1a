"""A small local HTTP stand-in for Google Calendar v3 and Google's OAuth token endpoint.

It checks what arrives the way Google would (bearer token, freeBusy, events.insert and
events.patch bodies, conferenceDataVersion=1, sendUpdates=all on insert and none on
patch, the event id alphabet) and records
every problem in `problems` so a test can assert that none occurred.
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from tests.stubs.threaded_http import ThreadedHttp, send_json
from urllib.parse import parse_qs, unquote, urlsplit

EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict | None
    authorization: str | None


@dataclass
class GoogleCalendarStub:
    client_id: str = "stub-client-id"
    client_secret: str = "stub-client-secret"
    refresh_tokens: set[str] = field(default_factory=lambda: {"stub-refresh-token"})
    token_lifetime_s: int = 3600
    busy: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # calendar id -> [(start, end) RFC 3339]
    events: dict[str, dict[str, dict]] = field(default_factory=dict)
    valid_tokens: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    token_refreshes: int = 0
    # (path substring, status, google reason) consumed by the next matching request
    faults: list[tuple[str, int, str]] = field(default_factory=list)
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._http: ThreadedHttp | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "GoogleCalendarStub":
        self._http = ThreadedHttp(self._handle).start()
        return self

    def stop(self) -> None:
        if self._http:
            self._http.stop()
            self._http = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._http.port}"

    @property
    def api_endpoint(self) -> str:
        return f"{self.base_url}/calendar/v3/"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    # --- controls ----------------------------------------------------------------------------

    def issue_token(self) -> str:
        with self._lock:
            token = f"ya29.stub-{len(self.valid_tokens) + self.token_refreshes + 1}"
            self.valid_tokens.add(token)
            return token

    def expire_tokens(self) -> None:
        """Every access token issued so far is rejected from now on (401)."""
        with self._lock:
            self.valid_tokens.clear()

    def revoke(self, refresh_token: str) -> None:
        with self._lock:
            self.refresh_tokens.discard(refresh_token)

    def requests_to(self, path_part: str) -> list[Received]:
        return [r for r in self.received if path_part in r.path]

    # --- HTTP --------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = None
        content_type = handler.headers.get("Content-Type", "")
        if raw and "json" in content_type:
            body = json.loads(raw)
        elif raw:
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        received = Received(method, url.path, parse_qs(url.query), body, handler.headers.get("Authorization"))
        with self._lock:
            self.received.append(received)
            fault = next((f for f in self.faults if f[0] in url.path), None)
            if fault:
                self.faults.remove(fault)
        if fault:
            return self._error(handler, fault[1], fault[2])
        if url.path == "/token" and method == "POST":
            return self._token(handler, body or {})
        if not url.path.startswith("/calendar/v3/"):
            return self._error(handler, 404, "notFound")
        token = (received.authorization or "").removeprefix("Bearer ")
        if token not in self.valid_tokens:
            return self._error(handler, 401, "authError", "Invalid Credentials")
        rest = url.path[len("/calendar/v3/"):]
        if rest == "freeBusy" and method == "POST":
            return self._free_busy(handler, body or {})
        match = re.fullmatch(r"calendars/([^/]+)/events(?:/([^/]+))?", rest)
        if match and method == "POST" and match.group(2) is None:
            return self._insert(handler, unquote(match.group(1)), received.query, body or {})
        if match and method == "PATCH" and match.group(2):
            return self._patch(handler, unquote(match.group(1)), match.group(2), received.query, body or {})
        if match and method == "GET" and match.group(2):
            event = self.events.get(unquote(match.group(1)), {}).get(match.group(2))
            return self._json(handler, 200, event) if event else self._error(handler, 404, "notFound", "Not Found")
        return self._error(handler, 404, "notFound")

    def _problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)

    def _token(self, handler, form: dict) -> None:
        if form.get("grant_type") != "refresh_token":
            self._problem(f"token request with grant_type {form.get('grant_type')!r}")
            return self._json(handler, 400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return self._json(handler, 401, {"error": "invalid_client", "error_description": "bad client"})
        if form.get("refresh_token") not in self.refresh_tokens:
            return self._json(handler, 400, {"error": "invalid_grant",
                                             "error_description": "Token has been expired or revoked."})
        with self._lock:
            self.token_refreshes += 1
        token = self.issue_token()
        self._json(handler, 200, {"access_token": token, "expires_in": self.token_lifetime_s,
                                  "token_type": "Bearer", "scope": "https://www.googleapis.com/auth/calendar"})

    def _free_busy(self, handler, body: dict) -> None:
        for key in ("timeMin", "timeMax"):
            if not _rfc3339(body.get(key)):
                self._problem(f"freeBusy {key} is not an RFC 3339 time: {body.get(key)!r}")
                return self._error(handler, 400, "invalid", f"bad {key}")
        items = body.get("items")
        if not items or not all(isinstance(i, dict) and i.get("id") for i in items):
            self._problem(f"freeBusy items malformed: {items!r}")
            return self._error(handler, 400, "invalid", "bad items")
        low, high = _rfc3339(body["timeMin"]), _rfc3339(body["timeMax"])
        calendars = {}
        for item in items:
            blocks = list(self.busy.get(item["id"], []))
            blocks += [(e["start"]["dateTime"], e["end"]["dateTime"]) for e in self.events.get(item["id"], {}).values()]
            calendars[item["id"]] = {"busy": [{"start": s, "end": e} for s, e in blocks
                                              if _rfc3339(s) < high and _rfc3339(e) > low]}
        self._json(handler, 200, {"kind": "calendar#freeBusy", "timeMin": body["timeMin"],
                                  "timeMax": body["timeMax"], "calendars": calendars})

    # Fields an events.patch from this worker may touch: only the ones that hold the contact's data.
    PATCHABLE = frozenset({"attendees", "summary", "description"})

    def _patch(self, handler, calendar_id: str, event_id: str, query: dict, body: dict) -> None:
        problems = []
        if query.get("sendUpdates") != ["none"]:
            problems.append(f"sendUpdates={query.get('sendUpdates')}")
        unexpected = sorted(set(body) - self.PATCHABLE)
        if unexpected:
            problems.append(f"patches fields it should leave alone: {unexpected}")
        if "attendees" in body and not isinstance(body["attendees"], list):
            problems.append(f"attendees is not a list: {body['attendees']!r}")
        if problems:
            for p in problems:
                self._problem(f"events.patch: {p}")
            return self._error(handler, 400, "invalid", "; ".join(problems))
        with self._lock:
            event = self.events.get(calendar_id, {}).get(event_id)
            if event is not None:
                # Google's patch semantics: the fields given replace the stored ones, the rest stays.
                event.update(body)
                event = dict(event)
        if event is None:
            return self._error(handler, 404, "notFound", "Not Found")
        self._json(handler, 200, event)

    def cancel(self, calendar_id: str, event_id: str) -> None:
        """Delete an event the way Google does: it stays readable with status "cancelled"."""
        with self._lock:
            self.events[calendar_id][event_id]["status"] = "cancelled"

    def _insert(self, handler, calendar_id: str, query: dict, body: dict) -> None:
        problems = []
        if query.get("conferenceDataVersion") != ["1"]:
            problems.append(f"conferenceDataVersion={query.get('conferenceDataVersion')}")
        if query.get("sendUpdates") != ["all"]:
            problems.append(f"sendUpdates={query.get('sendUpdates')}")
        event_id = body.get("id", "")
        if not EVENT_ID.fullmatch(event_id):
            problems.append(f"event id {event_id!r} is not base32hex 5-1024")
        for key in ("start", "end"):
            if not _rfc3339((body.get(key) or {}).get("dateTime")) or not (body.get(key) or {}).get("timeZone"):
                problems.append(f"{key} lacks dateTime/timeZone: {body.get(key)!r}")
        attendees = body.get("attendees") or []
        if len(attendees) != 1 or "@" not in attendees[0].get("email", ""):
            problems.append(f"attendees malformed: {len(attendees)} attendee(s)")
        create = ((body.get("conferenceData") or {}).get("createRequest") or {})
        if not create.get("requestId") or (create.get("conferenceSolutionKey") or {}).get("type") != "hangoutsMeet":
            problems.append(f"conferenceData.createRequest malformed: {create!r}")
        if not body.get("summary"):
            problems.append("summary missing")
        if problems:
            for p in problems:
                self._problem(f"events.insert: {p}")
            return self._error(handler, 400, "invalid", "; ".join(problems))
        with self._lock:
            calendar = self.events.setdefault(calendar_id, {})
            if event_id in calendar:
                duplicate = True
            else:
                duplicate = False
                link = f"https://meet.google.com/stub-{event_id[:10]}"
                calendar[event_id] = {
                    "kind": "calendar#event", "id": event_id, "status": "confirmed",
                    "summary": body["summary"], "description": body.get("description", ""),
                    "start": body["start"], "end": body["end"], "attendees": body["attendees"],
                    "hangoutLink": link,
                    "conferenceData": {"createRequest": {**create, "status": {"statusCode": "success"}},
                                       "entryPoints": [{"entryPointType": "video", "uri": link}],
                                       "conferenceSolution": {"key": {"type": "hangoutsMeet"}}},
                    "organizer": {"email": calendar_id, "self": True},
                }
        if duplicate:
            return self._error(handler, 409, "duplicate", "The requested identifier already exists.")
        self._json(handler, 200, self.events[calendar_id][event_id])

    def _error(self, handler, status: int, reason: str, message: str = "") -> None:
        self._json(handler, status, {"error": {"code": status, "message": message or reason,
                                               "errors": [{"domain": "global", "reason": reason,
                                                           "message": message or reason}]}})

    @staticmethod
    def _json(handler, status: int, payload) -> None:
        send_json(handler, status, payload, content_type="application/json; charset=UTF-8")


def _rfc3339(text) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None
