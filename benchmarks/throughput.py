"""Pretraining throughput per backend, on the same config.

Runs `ssl-domains pretrain` once per backend in a fresh process (a Keras backend is
fixed per process) and reports the median tokens/s over the logged windows after
the first (which includes compilation), plus the wall time of the whole command.

    python benchmarks/throughput.py                       # finance, tiny, 200 steps
    python benchmarks/throughput.py --steps 400 --backends jax torch
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(backend: str, domain: str, steps: int, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        command = [
            sys.executable,
            "-m",
            "ssl_domains.cli.main",
            "pretrain",
            "--domain",
            domain,
            "--backend",
            backend,
            "--steps",
            str(steps),
            "--run-dir",
            str(run),
            "--set",
            "train.log_every=20",
            *extra,
        ]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode:
            return {"backend": backend, "error": done.stderr.strip().splitlines()[-1]}
        lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
        rates = [x["tokens_per_s"] for x in lines if "tokens_per_s" in x][1:]
        final = next(x for x in lines if x.get("final"))
        return {
            "backend": backend,
            "tokens_per_s": round(statistics.median(rates)),
            "wall_s": round(wall, 1),
            "masked_accuracy": round(final["masked_accuracy"], 3),
            "unigram_accuracy": round(final["unigram_accuracy"], 3),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default="finance")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--set", action="append", default=[], dest="sets")
    args = parser.parse_args()
    extra = [a for s in args.sets for a in ("--set", s)]
    print(f"{'backend':<12}{'tokens/s':>10}{'wall s':>9}{'masked acc':>12}{'unigram':>9}")
    for backend in args.backends:
        r = measure(backend, args.domain, args.steps, extra)
        if "error" in r:
            print(f"{backend:<12} failed: {r['error']}")
            continue
        print(
            f"{backend:<12}{r['tokens_per_s']:>10,}{r['wall_s']:>9}"
            f"{r['masked_accuracy']:>12}{r['unigram_accuracy']:>9}"
        )


if __name__ == "__main__":
    main()
