"""The embedded MongoDB serves from a child process: it keeps the data, never outlives the process that
started it (even SIGKILLed), and a start that fails says why."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymongo
import pytest

from infrastructure.embedded_services import EmbeddedMongo

ROOT = Path(__file__).resolve().parents[2]
STARTER = """
import sys
from pathlib import Path
from infrastructure.embedded_services import EmbeddedMongo
print(EmbeddedMongo(Path(sys.argv[1])).start(), flush=True)
sys.stdin.read()
"""


def _answers(uri: str) -> bool:
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=300)
    try:
        client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()


def _gone(pid: int, within_s: float = 30.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _count_after_a_new_start(folder: Path, outcome: str) -> int:
    """Start the folder's server again (as the next process would) and count the records with `outcome`."""
    again = EmbeddedMongo(folder)
    try:
        with pymongo.MongoClient(again.start()) as client:
            return client.calls.records.count_documents({"outcome": outcome})
    finally:
        again.stop()


def test_data_survives_a_stop_and_a_second_process_uses_the_running_server(tmp_path):
    first = EmbeddedMongo(tmp_path)
    uri = first.start()
    server_pid = json.loads((tmp_path / "mongo.json").read_text())["pid"]
    assert server_pid != os.getpid()  # served by a process of its own
    with pymongo.MongoClient(uri) as client:
        client.calls.records.insert_one({"outcome": "meeting_booked"})
    assert EmbeddedMongo(tmp_path).start() == uri  # the port file answers: no second server on the same files
    first.stop()
    assert _gone(server_pid) and not (tmp_path / "mongo.json").exists()
    assert _count_after_a_new_start(tmp_path, "meeting_booked") == 1


def test_a_sigkilled_owner_leaves_no_server_behind_and_the_folder_serves_again(tmp_path):
    owner = subprocess.Popen([sys.executable, "-c", STARTER, str(tmp_path)], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        uri = owner.stdout.readline().decode().strip()
        assert _answers(uri)
        server_pid = json.loads((tmp_path / "mongo.json").read_text())["pid"]
        with pymongo.MongoClient(uri) as client:
            client.calls.records.insert_one({"outcome": "voicemail"})
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        assert _gone(server_pid), "the server outlived the process that started it"
        assert not _answers(uri)
        # The port file is stale: the next start finds nobody answering and serves the same data again.
        assert _count_after_a_new_start(tmp_path, "voicemail") == 1
    finally:
        owner.kill()
        owner.wait()


def test_a_server_that_cannot_start_is_named_with_its_log(tmp_path):
    (tmp_path / "mongo").write_text("a file where the storage folder should be")
    with pytest.raises(RuntimeError, match=r"embedded MongoDB did not start.*mongo\.log"):
        EmbeddedMongo(tmp_path, start_timeout_s=30).start()
    assert not (tmp_path / "mongo.json").exists()


def test_its_clients_send_no_retryable_writes_for_it_to_keep(tmp_path):
    """A retryable write's reply is kept by the server for the driver to send again after a failover;
    a single local server has none, and SecantusDB's cost per write grows with every reply it keeps."""
    sent: list[dict] = []

    class Listener(pymongo.monitoring.CommandListener):
        def started(self, event):
            sent.append(event.command)

        def succeeded(self, event):
            pass

        def failed(self, event):
            pass

    server = EmbeddedMongo(tmp_path)
    try:
        for uri in (server.start(), EmbeddedMongo(tmp_path).start()):  # a fresh start, and the port file's answer
            with pymongo.MongoClient(uri, event_listeners=[Listener()]) as client:
                client.calls.records.insert_one({"outcome": "no_answer"})
                client.calls.records.update_one({"outcome": "no_answer"}, {"$set": {"outcome": "voicemail_left"}})
        writes = [c for c in sent if "insert" in c or "update" in c]
        assert len(writes) == 4 and not [c for c in writes if "txnNumber" in c], writes
    finally:
        server.stop()


def test_it_is_a_standalone_server_that_keeps_no_oplog(tmp_path):
    """Nothing on a developer's machine needs a replica set (no transactions, no change streams), and
    a member writes an oplog entry (an update's with a diff) beside every write."""
    server = EmbeddedMongo(tmp_path)
    try:
        with pymongo.MongoClient(server.start()) as client:
            client.calls.records.insert_one({"outcome": "no_answer"})
            client.calls.records.update_one({"outcome": "no_answer"}, {"$set": {"outcome": "voicemail_left"}})
            hello = client.admin.command("hello")
            assert "setName" not in hello and hello["isWritablePrimary"] is True
            assert client.local.oplog.rs.count_documents({}) == 0
            assert client.calls.records.find_one({}, {"_id": 0}) == {"outcome": "voicemail_left"}
    finally:
        server.stop()
