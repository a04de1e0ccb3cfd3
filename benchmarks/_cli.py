"""Running `ssl-domains` from benchmark scripts: one process per command, timed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path


def ssl_domains(*args: str, backend: str = "tensorflow") -> float:
    """Run a command as a user would; return its wall time in seconds (or exit)."""
    import os

    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ssl_domains.cli.main", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": backend},
    )
    if done.returncode:
        sys.exit(f"ssl-domains {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def final_metrics(run: Path) -> dict:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return next(m for m in map(json.loads, lines) if m.get("final"))


def report(run: Path) -> dict:
    return json.loads((run / "report.json").read_text())
