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


@pytest.fixture(scope="session", autouse=True)
def corpus_cache(tmp_path_factory):
    """Prepared corpora go to a cache of the session's own, never the home folder
    (subprocesses inherit it through the environment)."""
    root = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_DOMAINS_CACHE", str(root))
        yield root


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


COMPANIES = ["Acme", "Zenith", "Borealis", "Calder", "Halberd", "Pinemark", "Takamori", "Ardent"]
FILLER = "the company said on results revenue quarter analysts shares market outlook".split()


def _sentence(rng, verb: str) -> str:
    words = list(rng.choice(FILLER, size=6))
    words.insert(int(rng.integers(0, 6)), verb)
    return f"{rng.choice(COMPANIES)} " + " ".join(words) + "."


@pytest.fixture(scope="session")
def labeled_files(tmp_path_factory) -> dict[str, Path]:
    """Easy generated tasks whose answer a tiny model can find from word identity."""
    import csv

    import numpy as np

    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("labeled")
    files = {}

    def write(name: str, header: list[str], rows: list[list]) -> None:
        files[name] = root / f"{name}.csv"
        with files[name].open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    up, down = "rose", "fell"
    write(
        "classification",
        ["text", "label"],
        [
            [_sentence(rng, verb), "up" if verb == up else "down"]
            for verb in rng.choice([up, down], size=240)
        ],
    )
    pairs = []
    for _ in range(240):
        first, second = rng.choice([up, down], size=2)
        rises = ["none", "one", "both"][int(first == up) + int(second == up)]
        pairs.append([_sentence(rng, first), _sentence(rng, second), rises])
    write("pair-classification", ["text_a", "text_b", "label"], pairs)
    regression = []
    for _ in range(240):
        count = int(rng.integers(0, 4))
        words = list(rng.choice(FILLER, size=8 - count)) + [up] * count
        rng.shuffle(words)
        regression.append([" ".join(words), float(count)])
    write("regression", ["text", "label"], regression)
    tagged = []
    for _ in range(240):
        words = list(rng.choice(FILLER, size=7))
        tags = ["O"] * 7
        for position in rng.choice(7, size=2, replace=False):
            words[position] = str(rng.choice(COMPANIES))
            tags[position] = "B-ORG"
        tagged.append([" ".join(words), " ".join(tags)])
    write("token-classification", ["tokens", "tags"], tagged)
    return files
