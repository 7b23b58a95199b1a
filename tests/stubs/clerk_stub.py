"""A small local HTTP stand-in for Clerk's Backend API endpoint that hands out users' OAuth tokens:
GET /v1/users/{user_id}/oauth_access_tokens/{provider}. It checks the secret key and the provider."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from http.server import BaseHTTPRequestHandler
from tests.stubs.threaded_http import ThreadedHttp, send_json
from urllib.parse import unquote, urlsplit


@dataclass
class ClerkStub:
    secret_key: str = "sk_test_stub"
    token_lifetime_s: int = 3600
    users: set[str] = field(default_factory=set)  # known users with a Google connection
    unconnected: set[str] = field(default_factory=set)  # known users without one (or revoked)
    stale: dict[str, int] = field(default_factory=dict)  # user -> how many expired tokens to hand out first
    faults: list[int] = field(default_factory=list)  # statuses for the next requests
    requests: list[str] = field(default_factory=list)  # user ids asked for, in order
    problems: list[str] = field(default_factory=list)
    issued: int = 0
    now: Callable[[], float] = time.time  # the clock expiry stamps are computed on

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._http: ThreadedHttp | None = None

    def start(self) -> "ClerkStub":
        self._http = ThreadedHttp(lambda handler, method: self._handle(handler)).start()
        return self

    def stop(self) -> None:
        if self._http:
            self._http.stop()
            self._http = None

    @property
    def server_url(self) -> str:
        return f"http://127.0.0.1:{self._http.port}/v1"

    def revoke(self, user_id: str) -> None:
        with self._lock:
            self.users.discard(user_id)
            self.unconnected.add(user_id)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path).path.split("/")
        if len(parts) != 6 or parts[1] != "v1" or parts[2] != "users" or parts[4] != "oauth_access_tokens":
            return self._errors(handler, 404, "resource_not_found", "no such endpoint")
        user_id, provider = unquote(parts[3]), unquote(parts[5])
        with self._lock:
            self.requests.append(user_id)
            fault = self.faults.pop(0) if self.faults else None
        if handler.headers.get("Authorization") != f"Bearer {self.secret_key}":
            self.problems.append("request without the secret key as bearer")
            return self._errors(handler, 401, "authentication_invalid", "invalid secret key")
        if not handler.headers.get("Clerk-API-Version"):
            self.problems.append("request without Clerk-API-Version (not the Clerk SDK?)")
        if provider != "oauth_google":
            self.problems.append(f"provider {provider!r}")
            return self._errors(handler, 422, "form_param_value_invalid", f"unknown provider {provider}")
        if fault:
            return self._errors(handler, fault, "internal_clerk_error", "stub fault")
        if user_id in self.unconnected:
            return self._json(handler, 200, [])
        if user_id not in self.users:
            return self._errors(handler, 404, "resource_not_found", f"user {user_id} not found")
        with self._lock:
            self.issued += 1
            number = self.issued
            stale = self.stale.get(user_id, 0)
            if stale:
                self.stale[user_id] = stale - 1
        expires = int(self.now()) + (-600 if stale else self.token_lifetime_s)
        self._json(handler, 200, [{
            "object": "oauth_access_token", "external_account_id": f"eac_{user_id}",
            "provider_user_id": f"google-{user_id}", "token": f"ya29.clerk-{user_id}-{number}",
            "expires_at": expires, "provider": "oauth_google", "public_metadata": {}, "label": None,
            "scopes": ["https://www.googleapis.com/auth/calendar"],
        }])

    def _errors(self, handler, status: int, code: str, message: str) -> None:
        self._json(handler, status, {"errors": [{"message": message, "long_message": message, "code": code}]})

    @staticmethod
    def _json(handler, status: int, payload) -> None:
        send_json(handler, status, payload)
