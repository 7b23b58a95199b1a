"""A Python snippet in a fresh interpreter, on this checkout: what a command's own process imports, leaves
running or does at exit, which the test process (every module already imported) cannot show."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_snippet(script: str, *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT,
                timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -c script args...` with this checkout first on the path; output captured as text."""
    environment = dict(os.environ if env is None else env)
    environment["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), environment.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-c", script, *args], env=environment, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)
