"""A local Logtail ingestion endpoint: decodes the msgpack batches logtail-python posts and keeps them."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgpack


class LogtailStub:
    def __init__(self, token: str = "test-source-token"):
        self.token = token
        self.frames: list[dict] = []
        self.rejected: list[str] = []  # why a request was refused (wrong token, content type, body)
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                problem = None
                if self.headers.get("Authorization") != f"Bearer {stub.token}":
                    problem = "bad token"
                elif self.headers.get("Content-Type") != "application/msgpack":
                    problem = f"content type {self.headers.get('Content-Type')}"
                else:
                    try:
                        batch = msgpack.unpackb(body, raw=False)
                        if not isinstance(batch, list) or not all(isinstance(f, dict) for f in batch):
                            problem = "body is not a list of frames"
                    except Exception as exc:
                        problem = f"undecodable msgpack: {exc}"
                with stub._lock:
                    if problem:
                        stub.rejected.append(problem)
                    else:
                        stub.frames.extend(batch)
                self.send_response(401 if problem == "bad token" else 400 if problem else 202)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> "LogtailStub":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def messages(self) -> list[str]:
        with self._lock:
            return [f.get("message", "") for f in self.frames]
