"""`ssl-domains doctor`: versions, backends and devices, to paste into a bug report."""

from __future__ import annotations

import importlib.util
import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

from rich.console import Console
from rich.table import Table

out = Console()
PACKAGES = ("ssl-domains", "keras", "keras-hub", "tensorflow", "tensorflow-text", "jax", "torch")

_DEVICE_PROBES = {
    "tensorflow": (
        "import tensorflow as tf;print(', '.join(d.name for d in tf.config.list_logical_devices()))"
    ),
    "jax": "import jax; print(', '.join(str(d) for d in jax.devices()))",
    "torch": (
        "import torch; n = torch.cuda.device_count() if torch.cuda.is_available() else 0;"
        "print('cpu' + (f', cuda x{n}' if n else ''))"
    ),
}


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _devices(backend: str) -> str:
    """Ask each framework in its own process, so one broken install cannot hide another."""
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]
    if importlib.util.find_spec(module) is None:
        return "not installed"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _DEVICE_PROBES[backend]],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return "timed out"
    if done.returncode:
        lines = done.stderr.strip().splitlines()
        return f"error: {lines[-1] if lines else 'exit ' + str(done.returncode)}"
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "?"


def doctor() -> None:
    """Print Python, package versions, and the devices each backend sees."""
    out.print(f"python {platform.python_version()} on {platform.platform()}")
    out.print(f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND', '(unset: tensorflow)')}")
    versions = Table(title="packages")
    versions.add_column("package")
    versions.add_column("version")
    for name in PACKAGES:
        versions.add_row(name, _version(name))
    out.print(versions)
    devices = Table(title="backends")
    devices.add_column("backend")
    devices.add_column("devices")
    for backend in ("tensorflow", "jax", "torch"):
        devices.add_row(backend, _devices(backend))
    out.print(devices)
