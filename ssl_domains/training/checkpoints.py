"""Checkpoints a run can trust: written whole or not at all, and checked before use.

A checkpoint is a folder, `checkpoints/step-NNNNNNN/`:

    model.weights.h5   weights and optimizer state (`Model.save_weights`)
    random.npz         the state of every Keras `SeedGenerator` in the model (dropout,
                       views drawn in the step), which `save_weights` leaves out
    data/              where the training stream was (`ResumableBatches.save`)
    callbacks/N/       the state of the fit's stateful callbacks (early stopping)
    manifest.json      step, time, and each file's size and SHA-256; written last

It is filled under a hidden temporary name, each file fsynced, then renamed into
place, so a kill during a save leaves no folder that looks finished. On resume the
newest folder whose files match its manifest is used; a damaged one is skipped with
a line saying so. A save that fails (a full disk) removes its partial folder and
raises `CheckpointError`, leaving the previous checkpoint as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ssl_domains.errors import UserError

FOLDER = re.compile(r"^step-(\d+)$")
MANIFEST = "manifest.json"
WEIGHTS = "model.weights.h5"
RANDOM_STATE = "random.npz"
DATA = "data"


class CheckpointError(UserError):
    """A checkpoint could not be written (the previous one is intact)."""


@dataclass(frozen=True, order=True)
class Checkpoint:
    step: int
    path: Path

    @property
    def weights(self) -> Path:
        return self.path / WEIGHTS

    @property
    def random_state(self) -> Path:
        return self.path / RANDOM_STATE

    @property
    def data(self) -> Path:
        return self.path / DATA


def folder_name(step: int) -> str:
    return f"step-{step:07d}"


def listed(directory: Path) -> list[Checkpoint]:
    """The finished-looking checkpoint folders in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    found = ((FOLDER.match(p.name), p) for p in directory.iterdir() if p.is_dir())
    return sorted(Checkpoint(int(m.group(1)), p) for m, p in found if m)


def problem(checkpoint: Checkpoint) -> str | None:
    """Why `checkpoint` cannot be used, or None if every file matches its manifest."""
    try:
        manifest = json.loads((checkpoint.path / MANIFEST).read_text())
    except (OSError, ValueError):
        return "no readable manifest"
    for name, expected in manifest.get("files", {}).items():
        path = checkpoint.path / name
        if not path.is_file():
            return f"{name} is missing"
        if path.stat().st_size != expected["size"]:
            return f"{name} is {path.stat().st_size} bytes, not {expected['size']}"
        if verified_digest(path) != expected["sha256"]:
            return f"{name} does not match its checksum"
    return None


# SHA-256 of files already read in this process, by path, size and modification time:
# a resume checks the newest checkpoint in two places, and a checkpoint can be gigabytes.
_digests: dict[tuple[Path, int, int], str] = {}


def verified_digest(path: Path) -> str:
    stat = path.stat()
    key = (path.resolve(), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        _digests[key] = digest(path)
    return _digests[key]


def newest_complete(directory: Path, report=print) -> Checkpoint | None:
    """The newest checkpoint that passes `problem`; each newer one skipped is reported."""
    for checkpoint in reversed(listed(directory)):
        why = problem(checkpoint)
        if why is None:
            return checkpoint
        report(f"skipping checkpoint {checkpoint.path.name}: {why}")
    return None


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def write(directory: Path, step: int, fill, keep: int) -> Checkpoint:
    """Write checkpoint `step` into `directory` atomically; keep the newest `keep`.

    `fill(folder)` writes the checkpoint's files into a temporary folder; the manifest
    is added, everything fsynced, and the folder renamed to `step-NNNNNNN`."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / folder_name(step)
    partial = directory / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir()
        fill(partial)
        files = sorted(p for p in partial.rglob("*") if p.is_file())
        manifest = {
            "step": step,
            "time": time.time(),
            "files": {
                str(p.relative_to(partial)): {"size": p.stat().st_size, "sha256": digest(p)}
                for p in files
            },
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        for path in [*files, partial / MANIFEST]:
            fsync(path)
        for folder in sorted({p.parent for p in files} | {partial}, reverse=True):
            fsync(folder)
        if final.exists():  # a save of the same step (the end of a resumed run)
            shutil.rmtree(final)
        os.replace(partial, final)
        fsync(directory)
    except OSError as error:
        shutil.rmtree(partial, ignore_errors=True)
        previous = [c.step for c in listed(directory)]
        kept = f"checkpoint step {previous[-1]} is intact" if previous else "no earlier checkpoint"
        raise CheckpointError(
            f"could not save checkpoint step {step} in {directory}: "
            f"{error.strerror or error}; {kept}"
        ) from error
    for old in listed(directory)[:-keep]:
        shutil.rmtree(old.path, ignore_errors=True)
    return Checkpoint(step, final)


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_partials(directory: Path) -> None:
    """Drop the temporary folders of saves that a kill interrupted."""
    if directory.is_dir():
        for path in directory.glob(".step-*.partial-*"):
            shutil.rmtree(path, ignore_errors=True)


def callback_folder(checkpoint_folder: Path, index: int) -> Path:
    """Where the `index`-th stateful callback of a fit keeps its state."""
    return checkpoint_folder / "callbacks" / str(index)


def seed_generators(model) -> list:
    """Every Keras `SeedGenerator` of `model`, in layer order (the same for the same
    architecture, so a rebuilt model lines up with the saved states)."""
    layers = model._flatten_layers()
    return [sg for layer in layers for sg in getattr(layer, "_seed_generators", [])]


def save_random_state(model, path: Path) -> None:
    import keras
    import numpy as np

    states = [keras.ops.convert_to_numpy(sg.state.value) for sg in seed_generators(model)]
    with path.open("wb") as handle:
        np.savez(handle, *states)


def load_random_state(model, path: Path) -> None:
    import numpy as np

    generators = seed_generators(model)
    with np.load(path) as saved:
        if len(saved.files) != len(generators):
            raise UserError(
                f"{path} holds {len(saved.files)} random states; the model has "
                f"{len(generators)} (was the recipe or model changed?)"
            )
        for i, generator in enumerate(generators):
            generator.state.assign(saved[f"arr_{i}"])
