"""The report page opens in real headless Chromium, offline: every chart shown, no console error, not blank.

`make test` installs Debian's chromium when it is missing, so this runs in CI.
"""
from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from domain.call_record import CallRecord, TranscriptLine
from domain.outcomes import CallOutcome
from entrypoints.cli import main
from tests.report_seed import seed

CHARTS = 5  # funnel, outcomes per day, latency histogram, answer rate by hour and by weekday
SECRET_LINE = "We already have coverage through the state society, thanks."


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install chromium)")
    return path


def open_in_chromium(page: Path, profile: Path, *mode: str) -> subprocess.CompletedProcess:
    """Chromium headless with no network at all (every host resolves to nothing) and a fresh profile."""
    return subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr",
         "--v=0", "--virtual-time-budget=5000", *mode, page.as_uri()],
        capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report_page(mongo_server, tmp_path_factory) -> Path:
    from motor.motor_asyncio import AsyncIOMotorClient
    from odmantic import AIOEngine

    from infrastructure.local_artifacts import LocalArtifacts
    from infrastructure.mongo_repositories import MongoCallRecordRepository

    tmp_path = tmp_path_factory.mktemp("report-page")
    name = f"page_{uuid.uuid4().hex[:8]}"
    now = datetime.now(timezone.utc)

    async def go():
        client = AsyncIOMotorClient(mongo_server.uri)
        try:
            seeded = await seed(client[name], 1500, now, outside=0)
            # One call with its transcript stored where the workers put it (DATA_DIR/artifacts).
            artifacts = LocalArtifacts(tmp_path / "artifacts")
            key = await artifacts.put_transcript("page-call", [
                TranscriptLine("agent", "Hi, this is Alex, an AI assistant calling for DocShield.", now),
                TranscriptLine("callee", SECRET_LINE, now)], {})
            record = CallRecord(call_id="page-call", campaign_id=seeded.records[0].campaign_id, step=0,
                                outcome=CallOutcome.DECLINED, started_at=now - timedelta(minutes=5),
                                ended_at=now - timedelta(minutes=2), reached_human=True, transcript_key=key,
                                objections=["already_insured"], callee_timezone="America/Chicago")
            await MongoCallRecordRepository(AIOEngine(client=client, database=name)).add(record)
        finally:
            client.close()

    asyncio.run(go())
    page = tmp_path / "report.html"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MONGODB_URI", mongo_server.uri)
        env.setenv("MONGODB_DATABASE", name)
        env.setenv("DATA_DIR", str(tmp_path))
        env.chdir(tmp_path)
        assert main(["report", "--since", "7d", "--html", str(page)]) == 0
    yield page

    async def drop():
        client = AsyncIOMotorClient(mongo_server.uri)
        await client.drop_database(name)
        client.close()

    asyncio.run(drop())


def test_the_page_is_self_contained_for_staff_with_each_transcript_one_click_away(report_page):
    text = report_page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "the page must need no network"
    assert "For DocShield staff only" in text
    assert text.count("<figure class=chart") == CHARTS
    # The call with a stored transcript: practice and contact named, transcript inside its <details>.
    details = re.findall(r"<details id=call-\d+>.*?</details>", text, flags=re.S)
    assert details and any(SECRET_LINE in d for d in details)
    assert any("Lakeside Orthopedics" in d or "Hill Country Dental" in d for d in details)
    assert "CST" in text or "CDT" in text  # times in the practice's zone


def _dumped(page: Path, tmp_path: Path, playable: int) -> tuple[subprocess.CompletedProcess, str]:
    """The page's DOM once loaded, and its <body> tag. The clips load on the browser's media threads, outside
    its virtual time: on a starved machine the page may be dumped before the last one reported its length,
    so it is opened up to three times until `playable` clips did (a clip it cannot play never does)."""
    for attempt in range(3):
        shown = open_in_chromium(page, tmp_path / f"profile-dom-{attempt}", "--dump-dom")
        assert shown.returncode == 0, shown.stderr[-2000:]
        body = re.search(r"<body[^>]*>", shown.stdout).group(0)
        if f'data-audio-playable="{playable}"' in body:
            break
    return shown, body


def check_in_chromium(page: Path, tmp_path: Path, charts: int = CHARTS, audio: int = 0) -> None:
    """`page` opens offline in headless Chromium: every chart drawn, every voicemail clip playable (the browser
    read its length), no script or console error, not blank."""
    shown, body = _dumped(page, tmp_path, audio)
    assert f'data-charts="{charts}"' in body and f'data-charts-shown="{charts}"' in body, body
    assert f'data-audio="{audio}"' in body and f'data-audio-playable="{audio}"' in body, body
    assert re.search(r'<pre id="page-errors" class="bad"></pre>', shown.stdout), "a script error reached the page"
    console = [line for line in shown.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []

    png = tmp_path / "report.png"
    shot = open_in_chromium(page, tmp_path / "profile-shot", "--window-size=1400,1800", f"--screenshot={png}")
    assert shot.returncode == 0 and png.exists(), shot.stderr[-2000:]
    pixels = np.asarray(Image.open(png).convert("L"), dtype=np.float32)
    assert pixels.shape == (1800, 1400)
    inked = (pixels < 200).mean()
    assert pixels.std() > 20 and 0.03 < inked < 0.9, (pixels.std(), inked)
    # The charts (drawn below the criteria) carry ink too, not only the header.
    assert (pixels[600:1400] < 200).mean() > 0.02


def test_the_page_opens_in_headless_chromium_with_every_chart_and_no_error(report_page, tmp_path):
    check_in_chromium(report_page, tmp_path)


def test_a_voicemail_clip_the_browser_cannot_play_is_caught(tmp_path):
    from infrastructure.report_page import PageCall, ReportPage, wav

    good = wav(b"\x00\x10" * 8000, 8000)
    calls = [PageCall(title="box", outcome="voicemail_left", audio_wav=good, audio_label="good"),
             PageCall(title="box", outcome="voicemail_left", audio_wav=b"RIFF not a wave file", audio_label="bad")]
    page = tmp_path / "clips.html"
    page.write_text(ReportPage("clips", None, calls).render(), encoding="utf-8")
    _shown, body = _dumped(page, tmp_path, 1)
    assert 'data-audio="2"' in body and 'data-audio-playable="1"' in body, body


def test_a_script_error_on_the_page_is_caught(report_page, tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text(report_page.read_text(encoding="utf-8").replace("</main>", "<script>noSuchThing()</script></main>"),
                      encoding="utf-8")
    shown = open_in_chromium(broken, tmp_path / "profile-broken", "--dump-dom")
    assert "noSuchThing is not defined" in re.search(r'<pre id="page-errors"[^>]*>(.*?)</pre>', shown.stdout,
                                                     flags=re.S).group(1)
    assert any(":CONSOLE" in line and "noSuchThing" in line for line in shown.stderr.splitlines())
