"""`pretrain`: one run of continued self-supervised pretraining, end to end.

corpus -> cleaned shards -> encoder (fresh with a domain vocabulary, or loaded
`--from` a preset) -> recipe model -> `Trainer.fit` -> held-out evaluation ->
preset. The embedded sample corpus and a 100 GB corpus take the same path.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from ssl_domains.backend import select_backend
from ssl_domains.config import RunConfig
from ssl_domains.data.corpus_files import CorpusItem, find_files
from ssl_domains.data.prepare_corpus import REPORT_FILE, CorpusReport
from ssl_domains.data.prepared_corpus import (
    Engine,
    PreparedCorpus,
    cached_corpus,
    check_domain,
    corpus_hash,
    corpus_settings,
    differing_settings,
    load_prepared,
)
from ssl_domains.errors import UserError
from ssl_domains.plugin.domain_adapter import DomainAdapter
from ssl_domains.plugin.modality import modality_of
from ssl_domains.plugin.recipe import Recipe
from ssl_domains.plugin.registry import Registry, registry
from ssl_domains.presets.sources import resolve_source
from ssl_domains.training.distribution import (
    check_batch_size,
    check_validation_batches,
    distribution_scope,
    even_batches,
    place_run,
    replica_safe,
    uncounted_batches,
)
from ssl_domains.training.run_directory import RunDirectory
from ssl_domains.training.run_lock import RunLock


@dataclass
class PretrainResult:
    run: RunDirectory
    step: int
    report: CorpusReport
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    resumed_from: int | None = None


def corpus_files(domain: DomainAdapter, config: RunConfig) -> list[CorpusItem]:
    specs = config.data.corpus or [str(p) for p in domain.sample_corpus()]
    return find_files(specs, config.data.tfds_dir, config.data.tfds_field)


def prepare(
    domain: DomainAdapter,
    config: RunConfig,
    run: RunDirectory,
    console: Console,
    plugins: Registry | None = None,
) -> CorpusReport:
    """The report of the prepared corpus the run trains on, its shards named by
    absolute path so they are read in place: the one `--corpus` names, or the cached
    preparation of the raw corpus (made on first use). Saved in the run's `data/`
    with which corpus it was (`RunDirectory.prepared_record`), so a resumed run reads
    the same shards; a run from before prepared corpora keeps its own shards there."""
    if (run.data / REPORT_FILE).is_file():
        report = CorpusReport.load(run.data)
        used = run.prepared_record
        if not used.is_file() or all(Path(n).is_file() for n in report.train_files):
            return report
        # Its shards are gone: make them again only from the very same inputs, and
        # know that before reading anything.
        recorded = json.loads(used.read_text())
        gone = f"the prepared corpus this run used ({recorded['path']}, {recorded['hash']}) is gone"
        specs = config.data.corpus
        if len(specs) == 1 and Path(specs[0]).expanduser().resolve() == Path(recorded["path"]):
            raise UserError(f"{gone}; prepare it again with `ssl-domains corpus prepare`")
        plugin = (plugins or registry()).plugin("domain", domain.name)
        settings = corpus_settings(domain, config, plugin)
        if corpus_hash(settings, corpus_files(domain, config)) != recorded["hash"]:
            raise UserError(f"{gone}, and its inputs or settings have changed: start a new run")
        prepared = find_prepared(domain, config, plugins or registry(), console)
    else:
        prepared = find_prepared(domain, config, plugins or registry(), console)
    report = dataclasses.replace(
        prepared.report,
        train_files=[str(prepared.path / n) for n in prepared.report.train_files],
        validation_files=[str(prepared.path / n) for n in prepared.report.validation_files],
    )
    report.save(run.data)
    run.prepared_record.write_text(
        json.dumps({"path": str(prepared.path), "hash": prepared.hash}, indent=2) + "\n"
    )
    return report


def find_prepared(
    domain: DomainAdapter, config: RunConfig, plugins: Registry, console: Console
) -> PreparedCorpus:
    """The prepared corpus `--corpus DIR` names, else the raw corpus's from the cache."""
    settings = corpus_settings(domain, config, plugins.plugin("domain", domain.name))
    specs = config.data.corpus
    given = load_prepared(Path(specs[0]).expanduser()) if len(specs) == 1 else None
    if given is None:
        items = corpus_files(domain, config)
        return cached_corpus(domain, items, settings, Engine(), console)
    check_domain(given, domain.name)
    if differing := differing_settings(given, settings):
        console.print(
            f"[yellow]note:[/yellow] {given.path} was prepared with other "
            f"{', '.join(differing)} than this run's; its shards are used as they are"
        )
    console.print(f"using prepared corpus {given.hash} ({given.path})")
    return given


def record_dataset(run: RunDirectory, files: list[str], modality, shuffle: int = 0, seed: int = 0):
    """The cleaned records of one split of the run's shards, decoded by `modality`
    (`files` are absolute paths into a prepared corpus, or names in the run's `data/`)."""
    from ssl_domains.data.shards import read_records

    return read_records([run.data / name for name in files], modality, shuffle, seed)


def build_encoder(
    domain, recipe: Recipe, config: RunConfig, run: RunDirectory, train_records, trusted
):
    """The encoder to train: as saved in the run's `init/` when resuming, else built by
    the domain's modality. `trusted`: the packages whose classes a preset may name
    (`Registry.trusted_packages`)."""
    from ssl_domains.presets.encoder import Encoder

    init = run.init
    if (init / "config.json").is_file():
        encoder = Encoder.load(str(init), config.data.seq_len, trusted)
        modality_of(domain).adopt_domain(encoder, domain, replace=False)  # what is not saved
    else:
        encoder = modality_of(domain).build_encoder(domain, recipe, config, train_records, trusted)
        encoder.info.update(domain=domain.name, recipe=recipe.name)
        encoder.save(init)
    source = resolve_source(config.model.source) if config.model.source else None
    return encoder, source


def total_steps(config: RunConfig, recipe: Recipe, train_records, encoder) -> int:
    if not config.train.epochs:
        return config.train.steps
    per_epoch = recipe.epoch_steps(train_records, encoder, config.train.batch_size)
    return max(1, math.ceil(config.train.epochs * per_epoch))


def pretrain(
    config: RunConfig,
    resume: RunDirectory | None = None,
    console: Console | None = None,
    plugins: Registry | None = None,
    progress: bool = True,
) -> PretrainResult:
    """Run continued pretraining as `config` says; return where it went and how it did.

    Examples:

    ```python
    from ssl_domains.config import resolve_config
    from ssl_domains.pipelines.pretraining import pretrain
    from ssl_domains.plugin.registry import registry

    config = resolve_config(registry(), flags={"run.domain": "finance", "train.steps": 50})
    result = pretrain(config)
    print(result.run.path, result.metrics["masked_accuracy"])
    ```
    """
    select_backend(config.run.backend, config.run.devices)
    # Everything from data to model inside the scope: strategies place variables as
    # they are created, and Keras distributes the input of fits run within it.
    with distribution_scope(config.run.backend, config.run.distribute, config.run.devices):
        return _pretrain(config, resume, console, plugins, progress)


def _pretrain(
    config: RunConfig,
    resume: RunDirectory | None,
    console: Console | None,
    plugins: Registry | None,
    progress: bool,
) -> PretrainResult:
    from ssl_domains.training.precision import set_precision

    set_precision(config.run.precision)  # before any model is built or loaded
    console = console or Console(stderr=True)
    plugins = plugins or registry()
    domain = plugins.domain(config.run.domain)(config.domain)
    recipe = plugins.recipe(config.run.recipe)(config.recipe)
    modality_of(domain)  # an unsupported modality fails before anything is written
    for source in (config.model.source, config.model.image_source):
        if source:
            resolve_source(source)  # a bad --from fails before anything is written
    if config.run.distribute:
        where = check_batch_size(config.run.backend, config.run.distribute, config.train.batch_size)
        console.print(f"distribute: {where}")
    resume = place_run(resume, config.run)  # the chief alone writes the run
    if resume:  # refused before anything is written if another process holds it
        lock = RunLock(resume.path, report=console.print).acquire()
    run = resume or RunDirectory.create(config, f"{config.run.domain}-{config.run.recipe}")
    if resume:
        config.save(run.config_path)
    else:
        lock = RunLock(run.path, report=console.print).acquire()
    try:
        resumed = resume is not None
        return _pretrain_into(run, config, domain, recipe, console, plugins, resumed, progress)
    finally:
        lock.release()


def _pretrain_into(
    run: RunDirectory,
    config: RunConfig,
    domain: DomainAdapter,
    recipe: Recipe,
    console: Console,
    plugins: Registry,
    resumed: bool,
    progress: bool,
) -> PretrainResult:
    """Prepare (or reuse) the corpus, build, train, evaluate and save, into `run`."""
    import keras

    from ssl_domains.training.trainer import Trainer

    started = time.perf_counter()
    modality = modality_of(domain)
    write_provenance(run, plugins, config)
    report = prepare(domain, config, run, console, plugins)
    if report.split_note:
        console.print(f"[yellow]split:[/yellow] {report.split_note}")
    latest = run.latest_checkpoint()
    seed = config.run.seed  # a resume restores the data position (training/data_position.py)
    train_records = record_dataset(run, report.train_files, modality)
    # Seeded here, after the corpus: preparing it or finding it prepared draws a
    # different number of random numbers, and the initial weights must not care.
    keras.utils.set_random_seed(config.run.seed)
    encoder, source = build_encoder(
        domain, recipe, config, run, train_records, plugins.trusted_packages
    )
    model = recipe.build_model(encoder, None if latest else source)
    if not config.train.learning_rate:
        pretrained = bool(config.model.source or config.model.image_source)
        config.train.learning_rate = recipe.default_learning_rate(encoder.backbone, pretrained)
        config.save(run.config_path)
        write_provenance(run, plugins, config)

    batch_size = config.train.batch_size
    shuffled = record_dataset(run, report.train_files, modality, config.data.shuffle_buffer, seed)
    train_batches = recipe.batches(shuffled, encoder, batch_size, training=True, seed=seed)
    validation_records = record_dataset(run, report.validation_files, modality)
    validation_batches = recipe.batches(validation_records, encoder, batch_size, training=False)
    train_batches, validation_batches = (
        even_batches(b, config.run.backend, config.run.distribute, batch_size)
        for b in (train_batches, validation_batches)
    )
    check_validation_batches(
        validation_batches, config.run.backend, config.run.distribute, batch_size
    )
    steps = total_steps(config, recipe, train_records, encoder)
    from ssl_domains.data.padding import padding_share

    # Measured on the unshuffled records: a shuffle reshuffles each epoch from a seed
    # generator that every pipeline built on `shuffled` shares, so this pipeline's
    # read-ahead would race training's for the epochs' orders.
    padding = padding_share(recipe.batches(train_records, encoder, batch_size, True, seed))
    if padding is not None:
        console.print(f"padding: {padding:.1%} of training positions")

    trainer = Trainer(run, config.train, console)
    if recipe.fresh_head and not latest and config.train.head_warmup_steps:
        warm = config.train.head_warmup_steps
        console.print(
            f"[yellow]{config.model.source} has no {recipe.name} head[/yellow]: training a "
            f"fresh one alone for {warm} steps (encoder frozen, lr "
            f"{recipe.fresh_head_learning_rate:g}), then the whole model"
        )
        losses = trainer.warm_up_head(
            model,
            encoder.backbone,
            train_batches,
            warm,
            recipe.fresh_head_learning_rate,
            recipe.compile_args(),
        )
        console.print(f"head warm-up: loss {losses['first']:.3f} -> {losses['last']:.3f}")
    else:
        losses = None
    fit = trainer.fit(
        model,
        train_batches,
        validation_batches,
        steps,
        recipe.compile_args(),
        units=recipe.units(encoder, batch_size),
        resume=resumed,
        progress=progress,
        callbacks=recipe.callbacks(model, steps),
        optimizer_args=recipe.optimizer_args(model),
    )
    with uncounted_batches():
        metrics = recipe.evaluate(model, replica_safe(validation_batches), encoder, train_records)
    if padding is not None:
        metrics["padding_share"] = padding
    if losses is not None:
        metrics.update(head_warmup_loss_first=losses["first"], head_warmup_loss_last=losses["last"])
    run.log_metrics({"step": fit.step, "final": True, **metrics})
    recipe.save(model, encoder, run.preset)
    from ssl_domains.reporting.plots import training_curves_png

    training_curves_png(run.read_metrics(), run.curves_path)
    return PretrainResult(
        run, fit.step, report, metrics, time.perf_counter() - started, fit.resumed_from
    )


def write_provenance(run: RunDirectory, plugins: Registry, config: RunConfig) -> None:
    """Append what took part (versions of ssl-domains, Keras, plugins) to `run.toml`."""
    import tomli_w

    from ssl_domains import __version__

    def version(name: str) -> str:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as v

        try:
            return v(name)
        except PackageNotFoundError:
            return "?"

    provenance: dict[str, Any] = {
        "ssl_domains": __version__,
        "keras": version("keras"),
        "keras_hub": version("keras-hub"),
        "tensorflow": version("tensorflow"),
        "plugins": {
            f"{kind}:{name}": f"{plugin.distribution} {plugin.version}"
            for kind, name in (("domain", config.run.domain), ("recipe", config.run.recipe))
            for plugin in [plugins.plugin(kind, name)]
        },
    }
    with run.config_path.open("a") as handle:
        handle.write("\n" + tomli_w.dumps({"provenance": provenance}))
