"""Pretraining throughput per backend, on the same config.

Runs `ssl-domains pretrain` once per backend in a fresh process (a Keras backend is
fixed per process) and reports the median throughput (tokens/s for text, frames/s
for audio, images/s for images) over the logged windows after the first (which
includes compilation), the wall time of the whole command, and the held-out score
next to its baseline.

    python benchmarks/throughput.py                       # finance, tiny, 200 steps
    python benchmarks/throughput.py --domain speech --steps 100
    python benchmarks/throughput.py --steps 400 --backends jax torch
    python benchmarks/throughput.py --domain biomedical-imaging --recipe mae --steps 100
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
        unit = next(k for x in lines for k in x if k.endswith("_per_s"))
        rates = [x[unit] for x in lines if unit in x][1:] or [x[unit] for x in lines if unit in x]
        final = next(x for x in lines if x.get("final"))
        score, baseline = next(pair for pair in comparisons(domain, extra) if pair[0] in final)
        return {
            "backend": backend,
            "unit": unit.removesuffix("_per_s"),
            "rate": round(statistics.median(rates)),
            "wall_s": round(wall, 1),
            "score": f"{score} {final[score]:.3f} (baseline {final.get(baseline, 0.0):.3f})",
        }


def comparisons(domain: str, extra: list[str]) -> list[tuple[str, str]]:
    """The recipe's (metric, baseline) pairs, as `evaluate` prints them."""
    from ssl_domains.plugin.registry import registry

    plugins = registry()
    name = extra[extra.index("--recipe") + 1] if "--recipe" in extra else None
    recipe = plugins.recipe(name or plugins.domain(domain).default_recipe)
    return list(recipe.comparisons.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default="finance")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--set", action="append", default=[], dest="sets")
    parser.add_argument("--recipe", default=None)
    args = parser.parse_args()
    extra = [a for s in args.sets for a in ("--set", s)]
    extra += ["--recipe", args.recipe] if args.recipe else []
    print(f"{'backend':<12}{'per second':>18}{'wall s':>9}  held-out")
    for backend in args.backends:
        r = measure(backend, args.domain, args.steps, extra)
        if "error" in r:
            print(f"{backend:<12} failed: {r['error']}")
            continue
        rate = f"{r['rate']:,} {r['unit']}"
        print(f"{backend:<12}{rate:>18}{r['wall_s']:>9}  {r['score']}")


if __name__ == "__main__":
    main()
