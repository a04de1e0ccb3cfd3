"""`finetune`: a small labeled set on top of a pretrained encoder, end to end.

source -> encoder -> task head -> `Trainer.fit` with early stopping on the validation
metric -> report (table, JSON, confusion-matrix plot) -> saved model and preset.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rich.console import Console

from ssl_domains.backend import select_backend
from ssl_domains.config import FinetuneConfig
from ssl_domains.data.labeled_set import LabeledSet, few_shot, read_labeled, stratified_split
from ssl_domains.errors import UserError
from ssl_domains.plugin.modality import modality_of
from ssl_domains.plugin.registry import Registry, registry
from ssl_domains.presets.sources import resolve_source, source_domain
from ssl_domains.tasks import resolve_task
from ssl_domains.training.distribution import (
    check_batch_size,
    distribution_scope,
    even_batches,
    spans_processes,
)
from ssl_domains.training.run_directory import RunDirectory
from ssl_domains.training.run_lock import RunLock

REPORT_FILE = "report.json"
FEW_SHOT_HEAD_WARMUP = 100  # steps of the head alone before a few-shot run tunes everything
EMBEDDING_LAYERS = ("token_embedding", "position_embedding", "segment_embedding", "embeddings")


@dataclass
class FinetuneResult:
    run: RunDirectory
    task: str
    report: dict[str, Any]
    train_rows: int
    validation_rows: int
    epochs: int
    seconds: float
    labels: list[str] | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def layer_multipliers(model, backbone, decay: float) -> dict[str, float]:
    """Learning-rate factor per variable: `decay ** depth_from_top`.

    Embeddings are the bottom, `transformer_layer_i` is `i + 1`, the head the top.
    """
    depth = getattr(backbone, "num_layers", 0) + 1
    factors = {}
    for variable in model.trainable_variables:
        match = re.search(r"transformer_layer_(\d+)/", variable.path)
        if match:
            level = int(match.group(1)) + 1
        elif variable.path.startswith(EMBEDDING_LAYERS):
            level = 0
        else:
            level = depth
        factors[variable.path] = decay ** (depth - level)
    return factors


def load_encoder(config: FinetuneConfig, task_cls, plugins):
    """The encoder to fine-tune, with the domain's preprocessing where the preset has none."""
    import keras

    from ssl_domains.plugin.modality import modality
    from ssl_domains.presets.encoder import Encoder

    source = resolve_source(config.run.source)
    # Seeded before loading too: the backbone's dropout layers take their seeds as
    # they are built, and unseeded they would differ from process to process.
    keras.utils.set_random_seed(config.run.seed)
    encoder = Encoder.load(source, config.data.seq_len, plugins.trusted_packages)
    domain = source_domain(config.run.source, config.run.domain, plugins)
    if domain is not None and domain.modality != task_cls.modality:
        raise UserError(
            f"{config.run.task} is a {task_cls.modality} task; {domain.name} is {domain.modality}"
        )
    kind = modality(task_cls.modality)
    if domain is not None:
        kind.adopt_domain(encoder, domain(), replace=bool(config.run.domain))
    encoder.info["domain"] = domain.name if domain else ""
    if config.run.random_init:  # same architecture and tokenizer, fresh weights: a baseline
        encoder.backbone = type(encoder.backbone).from_config(encoder.backbone.get_config())
        encoder.info["random_init"] = True
    kind.check_encoder(encoder, config.run.source)
    keras.utils.set_random_seed(config.run.seed)
    return encoder


def task_name(config: FinetuneConfig, plugins) -> str:
    """The task `--task` means for the source's modality: `classification` is
    `audio-classification` on a speech model (see `ssl_domains.tasks.resolve_task`)."""
    domain = source_domain(config.run.source, config.run.domain, plugins)
    if domain is None:
        return resolve_task(config.run.task, None, plugins=plugins)
    modality_of(domain).check_finetune(config.run.source, domain.name, plugins)
    return resolve_task(config.run.task, domain.modality, f"the {domain.name} model", plugins)


def default_data(config: FinetuneConfig, plugins) -> str:
    """The labeled sample of the source's domain, when `--data` is not given."""
    domain = source_domain(config.run.source, config.run.domain, plugins)
    labels = domain().sample_labels() if domain else None
    if labels is None:
        raise UserError("no labeled data: pass --data FILE")
    return str(labels)


def read_splits(config: FinetuneConfig, task_cls, plugins) -> tuple[LabeledSet, LabeledSet]:
    data = config.data
    columns = {role: getattr(data, f"{role}_column") for role in task_cls.roles}
    if not data.data:
        data.data = default_data(config, plugins)
    rows = read_labeled(data.data, columns)
    stratify = task_cls.stratify_by(rows)
    if data.shots:
        if stratify is None:
            raise UserError(f"--shots needs classes; {task_cls.name} has none")
        rng = np.random.default_rng(config.run.seed)
        train = few_shot(list(range(len(rows))), stratify, data.shots, rng)
        if data.eval_data:
            return rows.subset(train), read_labeled(data.eval_data, columns)
        rest = sorted(set(range(len(rows))) - set(train))
        if not rest:
            raise UserError(
                f"{data.data}: no rows left to validate on after {data.shots} per class"
            )
        return rows.subset(train), rows.subset(rest)
    if data.eval_data:
        return rows, read_labeled(data.eval_data, columns)
    train, validation = stratified_split(
        stratify, len(rows), data.validation_fraction, config.run.seed
    )
    return rows.subset(train), rows.subset(validation)


def class_weights(task, train: LabeledSet) -> dict[int, float]:
    """Inverse class frequency, normalised to a mean weight of one ("balanced"): over
    rows, or over tags for a tagger (`Task.class_counts`)."""
    counts = task.class_counts(train)
    total = float(counts.sum())
    return {i: float(total / (len(counts) * c)) for i, c in enumerate(counts) if c}


def finetune(
    config: FinetuneConfig,
    console: Console | None = None,
    progress: bool = True,
    plugins: Registry | None = None,
    resume: RunDirectory | None = None,
) -> FinetuneResult:
    """Fine-tune `config.run.source` on a labeled file; write a run directory.

    `plugins`: the registry that names domains and trusted preset classes (default:
    the installed plugins). `resume`: a fine-tuning run to continue from its newest
    checkpoint (its `run.toml` is `config`); it ends as an uninterrupted run would.

    Examples:

    ```python
    from ssl_domains.config import FinetuneConfig
    from ssl_domains.pipelines.finetuning import finetune

    config = FinetuneConfig()
    config.run.source = "runs/finance-mlm-20261128-101500"
    config.data.data = "labels.csv"
    result = finetune(config)
    print(result.report["accuracy"], result.report["macro_f1"])
    ```
    """
    select_backend(config.run.backend, config.run.devices)
    # Everything from the encoder on inside the scope, as in pretraining.
    with distribution_scope(config.run.backend, config.run.distribute, config.run.devices):
        return _finetune(config, console, progress, plugins, resume)


def _finetune(
    config: FinetuneConfig,
    console: Console | None,
    progress: bool,
    plugins: Registry | None,
    resume: RunDirectory | None,
) -> FinetuneResult:
    from ssl_domains.tasks import task_class
    from ssl_domains.training.precision import set_precision

    set_precision(config.run.precision)  # before the encoder is loaded
    started = time.perf_counter()
    console = console or Console(stderr=True)
    plugins = plugins or registry()
    resolve_source(config.run.source)
    config.run.task = task_name(config, plugins)
    task_cls = task_class(config.run.task, plugins)
    train_rows, validation_rows = read_splits(config, task_cls, plugins)
    labels = task_cls.label_names(train_rows)
    if spans_processes(config.run.backend, config.run.distribute):
        raise UserError(
            "fine-tuning runs on one host: its labeled set is small, and its batches and "
            "predictions are not split among processes; drop KERAS_DISTRIBUTION_* and "
            "use --devices N"
        )
    if config.run.distribute:  # a training batch is never more than the rows
        batch = min(config.train.batch_size, len(train_rows))
        console.print(
            f"distribute: {check_batch_size(config.run.backend, config.run.distribute, batch)}"
        )
    encoder = load_encoder(config, task_cls, plugins)
    name = f"{encoder.info.get('domain') or 'model'}-{config.run.task}"
    run = resume or RunDirectory.create(config, name)
    with RunLock(run.path, report=console.print):
        return _finetune_into(
            run,
            config,
            encoder,
            task_cls,
            labels,
            train_rows,
            validation_rows,
            console,
            progress,
            resumed=resume is not None,
            started=started,
        )


def _finetune_into(
    run: RunDirectory,
    config: FinetuneConfig,
    encoder,
    task_cls,
    labels,
    train_rows: LabeledSet,
    validation_rows: LabeledSet,
    console: Console,
    progress: bool,
    resumed: bool,
    started: float,
) -> FinetuneResult:
    """Build the task, train and report, into `run`."""
    from ssl_domains.training.early_stopping import ResumableEarlyStopping
    from ssl_domains.training.trainer import Trainer

    task = task_cls(encoder, labels)
    getattr(task, "preprocessor", None)  # fail here, in one line, if the family has none
    train_cfg = config.train
    if not train_cfg.learning_rate:
        train_cfg.learning_rate = 5e-3 if train_cfg.freeze_backbone else 2e-4
    weights = class_weights(task, train_rows) if train_cfg.class_weights and labels else None
    batch = train_cfg.batch_size
    train_batches = task.dataset(
        train_rows, batch, training=True, seed=config.run.seed, class_weights=weights
    )
    validation_batches = even_batches(
        task.dataset(validation_rows, batch), config.run.backend, config.run.distribute, batch
    )
    model = task.build_model()
    if train_cfg.freeze_backbone:
        encoder.backbone.trainable = False
    epoch_steps = math.ceil(len(train_rows) / batch)
    total = train_cfg.steps or max(1, math.ceil(train_cfg.epochs * epoch_steps))
    monitor, mode = task.monitor
    stopper = ResumableEarlyStopping(
        epoch_steps,
        monitor=monitor,
        mode=mode,
        patience=train_cfg.patience,
        restore_best_weights=True,
    )
    multipliers = None
    if train_cfg.layer_decay < 1 and not train_cfg.freeze_backbone:
        multipliers = layer_multipliers(model, encoder.backbone, train_cfg.layer_decay)
    if train_cfg.head_warmup_steps < 0:
        train_cfg.head_warmup_steps = FEW_SHOT_HEAD_WARMUP if config.data.shots else 0
    config.save(run.config_path)
    trainer = Trainer(run, train_cfg, console)
    # A resumed run's checkpoint holds the warmed-up head: warming it again would move it.
    warm_up = not (resumed and run.latest_checkpoint())
    if train_cfg.head_warmup_steps and not train_cfg.freeze_backbone and warm_up:
        warm = trainer.warm_up_head(
            model,
            encoder.backbone,
            train_batches,
            train_cfg.head_warmup_steps,
            train_cfg.head_learning_rate,
            task.compile_args(),
        )
        console.print(
            f"head alone for {train_cfg.head_warmup_steps} steps (encoder frozen): "
            f"loss {warm['first']:.3f} -> {warm['last']:.3f}"
        )
    fit = trainer.fit(
        model,
        train_batches,
        validation_batches,
        total,
        task.compile_args(),
        units=("examples", float(batch)),
        interval=epoch_steps,
        callbacks=[stopper],
        lr_multipliers=multipliers,
        progress=progress,
        resume=resumed,
    )
    report = task.report(validation_rows, task.predict(model, validation_rows))
    (run.path / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n")
    if "confusion" in report:
        from ssl_domains.reporting.plots import confusion_matrix_png

        confusion_matrix_png(report["confusion"], labels, run.path / "confusion_matrix.png")
    encoder.backbone.trainable = True
    info = {
        "sequence_length": encoder.sequence_length,
        "source": config.run.source,
        "data": config.data.data,
        "columns": {role: getattr(config.data, f"{role}_column") for role in task_cls.roles},
    }  # no rows: the samples an export is checked on are synthetic (`Task.keep_samples`)
    task.save(run.path, model, info)
    # The checkpoints serve a resume only, and their data positions hold batches of
    # the labeled rows (as token ids): a finished run keeps the model, not them (a run
    # cut short by train.stop_at keeps them, to be resumed).
    if fit.step >= total or stopper.stopped_epoch:
        shutil.rmtree(run.checkpoints, ignore_errors=True)
    run.log_metrics({"step": fit.step, "final": True, **_scalars(report)})
    return FinetuneResult(
        run,
        config.run.task,
        report,
        len(train_rows),
        len(validation_rows),
        math.ceil(fit.step / epoch_steps),
        time.perf_counter() - started,
        labels,
    )


def _scalars(report: dict[str, Any]) -> dict[str, float]:
    return {k: v for k, v in report.items() if isinstance(v, int | float)}
