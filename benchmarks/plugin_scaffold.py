"""Time from `ssl-domains plugins new` to a finished 5-step pretrain on the new plugin.

Scaffolds into a temporary folder, installs it (editable, no dependency resolution:
ssl-domains is already here), pretrains 5 steps, and uninstalls it again.

    python benchmarks/plugin_scaffold.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _cli import ssl_domains


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        steps = {"plugins new": ssl_domains("plugins", "new", "bench_claims", "--dir", tmp)}
        root = Path(tmp) / "ssl-domains-bench-claims"
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--no-build-isolation",
                "-e",
                str(root),
            ],
            check=True,
        )
        steps["pip install -e"] = time.perf_counter() - t
        try:
            steps["pretrain --steps 5"] = ssl_domains(
                "pretrain", "--domain", "bench_claims", "--steps", "5", "--run-dir", f"{tmp}/run"
            )
            total = time.perf_counter() - started
        finally:
            subprocess.run(
                [sys.executable, "-m", "pip", "uninstall", "-q", "-y", "ssl-domains-bench-claims"],
                check=True,
            )
    for name, seconds in steps.items():
        print(f"{name:<22}{seconds:6.1f} s")
    print(f"{'total':<22}{total:6.1f} s")


if __name__ == "__main__":
    main()
