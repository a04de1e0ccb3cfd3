"""Shared fixtures: small corpora, and running the CLI in a fresh process.

A Keras backend is fixed per process, so tests that train on a given backend run
`ssl-domains` as a subprocess; everything else runs in-process on TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

FINANCE_CORPUS = Path(__file__).parents[1] / "plugins" / "finance" / "data" / "corpus.txt"
BACKENDS = ("tensorflow", "jax", "torch")
# Small and fast: the nano backbone on short sequences.
QUICK = ["--set", "model.size=nano", "--seq-len", "64", "--batch-size", "16"]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*args: str, backend: str = "tensorflow", cwd: Path | None = None, env=None) -> Result:
    """Run `ssl-domains ARGS` in a new process, as a user would."""
    environment = {**os.environ, "KERAS_BACKEND": backend, "COLUMNS": "200", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "ssl_domains.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=900,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """The first 300 documents of the finance sample: enough to learn something quickly."""
    path = tmp_path_factory.mktemp("corpus") / "finance.txt"
    lines = FINANCE_CORPUS.read_text().splitlines()[:300]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def pretrained_run(tmp_path_factory, small_corpus) -> Path:
    """One short nano pretraining run that several tests start from."""
    run_dir = tmp_path_factory.mktemp("runs") / "base"
    result = run_cli(
        "pretrain",
        "--domain",
        "finance",
        "--corpus",
        str(small_corpus),
        "--steps",
        "30",
        "--run-dir",
        str(run_dir),
        *QUICK,
        "--set",
        "train.checkpoint_every=10",
    )
    assert result.returncode == 0, result.output
    return run_dir
