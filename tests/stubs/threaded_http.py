"""A blocking HTTP server on a free loopback port, served from a background thread.

For stubs of services whose real clients are blocking (httplib2, the Clerk SDK's
sync paths): each request goes to `handle(request_handler, method)`.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

Handle = Callable[[BaseHTTPRequestHandler, str], None]


class ThreadedHttp:
    def __init__(self, handle: Handle):
        self.handle = handle
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> "ThreadedHttp":
        handle = self.handle

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                handle(self, "GET")

            def do_POST(self):
                handle(self, "POST")

            def do_PUT(self):
                handle(self, "PUT")

            def do_PATCH(self):
                handle(self, "PATCH")

            def do_DELETE(self):
                handle(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def send_json(handler: BaseHTTPRequestHandler, status: int, payload, *,
              content_type: str = "application/json") -> None:
    """Answer with `payload` as JSON; a client that already gave up (timeout tests) is not an error."""
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    try:
        handler.end_headers()
        handler.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
