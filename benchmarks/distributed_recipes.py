"""Which recipes train with `--distribute data` on each backend: a few steps of each
on 2 virtual CPU devices, through the CLI, one process per run.

    python benchmarks/distributed_recipes.py                     # TensorFlow and JAX
    python benchmarks/distributed_recipes.py --backends tensorflow --steps 4
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# recipe -> a domain it runs on
RECIPES = {
    "mlm": "finance",
    "electra": "finance",
    "simclr": "biomedical-imaging",
    "byol": "biomedical-imaging",
    "barlow-twins": "biomedical-imaging",
    "dino": "biomedical-imaging",
    "mae": "biomedical-imaging",
    "clip": "biomedical-figures",
    "wav2vec2": "speech",
}


def try_recipe(backend: str, recipe: str, steps: int) -> str:
    """'ok', or the last line of the error."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable, "-m", "ssl_domains.cli.main", "pretrain",
            "--domain", RECIPES[recipe], "--recipe", recipe, "--backend", backend,
            "--distribute", "data", "--devices", "2", "--steps", str(steps),
            "--batch-size", "8", "--run-dir", str(Path(tmp) / "run"),
        ]  # fmt: skip
        env = {**os.environ, "KERAS_BACKEND": backend}
        done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode == 0:
        return "ok"
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[-1][:160] if lines else f"exit {done.returncode}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax"])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES))
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    print("| recipe | " + " | ".join(args.backends) + " |")
    print("|---|" + "---|" * len(args.backends))
    for recipe in args.recipes:
        results = [try_recipe(backend, recipe, args.steps) for backend in args.backends]
        print(f"| {recipe} | " + " | ".join(results) + " |", flush=True)


if __name__ == "__main__":
    main()
