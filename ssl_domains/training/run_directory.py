"""The run directory: everything one command produced, enough to reproduce it.

runs/<domain>-<recipe>-<utc time>/
    run.toml        the fully resolved config
    corpus.json     what reading the corpus found (in data/)
    data/           the corpus report; shards are read in place from a prepared
                    corpus, which data/prepared-corpus.json names (path, hash)
    checkpoints/    step-NNNNNNN/, the last few kept (see training/checkpoints.py)
    logs/           TensorBoard
    metrics.jsonl   one JSON object per log line
    curves.png      those lines plotted, training and validation, per metric
    init/           the encoder as built, before training
    preset/         the trained encoder as a keras-hub preset
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssl_domains.config import Sections
from ssl_domains.errors import UserError
from ssl_domains.training import checkpoints
from ssl_domains.training.run_lock import LOCK


class RunDirectory:
    """Paths and small helpers for one run.

    Examples:

    ```python
    from ssl_domains.training.run_directory import RunDirectory

    run = RunDirectory("runs/finance-mlm-20261128-101500")
    run.latest_checkpoint()  # Checkpoint(step=600, path=Path('.../checkpoints/step-0000600'))
    ```
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def default_path(cls, name: str, root: str = "runs") -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return Path(root) / f"{name}-{stamp}"

    @classmethod
    def create(cls, config: Sections, name: str) -> RunDirectory:
        """Make a new run directory and write `run.toml`; never reuse a finished one.

        `name` (e.g. `finance-mlm`) prefixes the default path when `run.dir` is unset.
        """
        path = Path(config.run.dir) if config.run.dir else cls.default_path(name)
        if path.exists() and any(path.iterdir()):
            raise UserError(
                f"run directory {path} is not empty; pass --resume {path} or a new --run-dir"
            )
        run = cls(path)
        for folder in (run.checkpoints, run.logs, run.data):
            folder.mkdir(parents=True, exist_ok=True)
        config.run.dir = str(path)
        config.save(run.config_path)
        return run

    @classmethod
    def open(cls, path: str | Path) -> RunDirectory:
        run = cls(path)
        if not run.config_path.is_file():
            raise UserError(f"not a run directory (no run.toml): {path}")
        return run

    def scratch_copy(self, into: Path) -> RunDirectory:
        """This run as a process that trains alongside the chief resumes it, in `into`:
        its files, `data/` and newest complete checkpoint copied (that process writes
        to them), `init/` and large data files linked (only read), the chief's lock,
        logs and preset left out. Nothing is written here."""
        into.mkdir(parents=True, exist_ok=True)
        for entry in self.path.iterdir():
            if entry.is_file() and entry.name != LOCK and not entry.name.endswith(".partial"):
                shutil.copy2(entry, into / entry.name)
        if self.data.is_dir():  # a run from before prepared corpora keeps its shards here
            shutil.copytree(self.data, into / self.data.name, copy_function=_copy_or_link)
        if self.init.is_dir():
            (into / self.init.name).symlink_to(self.init.resolve(), target_is_directory=True)
        copy = RunDirectory(into)
        copy.checkpoints.mkdir()
        latest = self.latest_checkpoint()
        if latest is not None:
            shutil.copytree(latest.path, copy.checkpoints / latest.path.name)
        return copy

    @property
    def config_path(self) -> Path:
        return self.path / "run.toml"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def data(self) -> Path:
        return self.path / "data"

    @property
    def prepared_record(self) -> Path:
        """Which prepared corpus the run reads (`path`, `hash`), as JSON."""
        return self.data / "prepared-corpus.json"

    @property
    def init(self) -> Path:
        """The encoder as built before training (what a resume rebuilds)."""
        return self.path / "init"

    @property
    def preset(self) -> Path:
        return self.path / "preset"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def curves_path(self) -> Path:
        return self.path / "curves.png"

    def checkpoint_steps(self) -> list[int]:
        return [c.step for c in checkpoints.listed(self.checkpoints)]

    def latest_checkpoint(self, report=None) -> checkpoints.Checkpoint | None:
        """The newest complete checkpoint; `report` is told of each damaged one skipped."""
        return checkpoints.newest_complete(self.checkpoints, report or (lambda _: None))

    def log_metrics(self, record: dict[str, Any]) -> None:
        record = {"time": round(time.time(), 3), **record}
        with self.metrics_path.open("a") as handle:
            handle.write(json.dumps(record) + "\n")

    def drop_metrics_after(self, step: int) -> None:
        """Keep the log lines up to `step` (a resume's checkpoint); later ones came from
        the stopped process and are about to be logged again."""
        kept = [r for r in self.read_metrics() if r.get("step", 0) <= step and not r.get("final")]
        partial = self.metrics_path.with_suffix(".jsonl.partial")
        partial.write_text("".join(json.dumps(r) + "\n" for r in kept))
        os.replace(partial, self.metrics_path)

    def read_metrics(self) -> list[dict[str, Any]]:
        """The log's lines; a last line cut short by a kill is left out."""
        if not self.metrics_path.is_file():
            return []
        records = []
        for line in self.metrics_path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records


def _copy_or_link(source: str, target: str) -> None:
    """Copy a small file; link a large one (a shard, which is only read)."""
    if os.path.getsize(source) > 2**20:
        os.symlink(os.path.realpath(source), target)
    else:
        shutil.copy2(source, target)
