"""Options that `pretrain` and `finetune` share, declared once so that their names
and help stay the same in both commands (`Annotated` types: default `None`, which
means "from the config")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Backend = Annotated[
    str,
    typer.Option(
        "--backend", help="tensorflow, jax or torch (default: $KERAS_BACKEND or tensorflow)."
    ),
]
Precision = Annotated[
    str,
    typer.Option("--precision", help="fp32, bf16 (AMX CPUs, TPUs, recent GPUs) or fp16 (GPUs)."),
]
Distribute = Annotated[
    str,
    typer.Option("--distribute", help="data (replicas) or model (sharded weights, JAX)."),
]
Devices = Annotated[
    int,
    typer.Option("--devices", help="Devices to train on (0: all); on CPU, N virtual ones."),
]
Seed = Annotated[int, typer.Option("--seed")]
BatchSize = Annotated[int, typer.Option("--batch-size")]
ConfigFile = Annotated[Path, typer.Option("--config", help="A TOML file of config sections.")]
Sets = Annotated[
    list[str],
    typer.Option(
        "--set", help="Override one key, e.g. --set train.learning_rate=3e-4; repeatable."
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the resolved config and exit.")]
