"""Prepared corpora: a corpus read, cleaned, deduplicated and sharded once, then reused.

`ssl-domains corpus prepare` writes one to a folder of the user's choice; `pretrain`
on raw files prepares into the cache (`cache_root() / "corpora" / <hash>`) and reuses
it while the inputs and settings stay the same. A run reads the shards in place (no
copy); any number of runs share one prepared corpus.

The directory format (any writer, such as a Beam runner, must match it):

    <dir>/
        train-NNNNN.tfrecord, validation-NNNNN.tfrecord
                        one serialized `tf.train.Example` per record, in the schema
                        of the domain's modality (`Modality.features`)
        corpus.json     the `CorpusReport`: counts (files, records, kept, dropped by
                        reason, redactions, skips, length bins) and `train_files` /
                        `validation_files`, the shard names relative to <dir>
        prepared.json   what it was made from, written last: `format` (1), `hash`,
                        `domain`, `settings` (below) and `inputs`

A directory with both files is complete: it is prepared in `<dir>.tmp-XXXX` beside it
and renamed into place, so a killed preparation leaves only a `.tmp-` folder, which
is never taken for a prepared corpus.

The hash (`corpus_hash`, 16 hex digits of SHA-256) covers every input and every
setting that changes the output. An input is its absolute path, size and modification
time in nanoseconds (a TFDS slice: its description): cheap to check on every run,
where hashing contents would read a 100 GB corpus each time; an edit that keeps size
and mtime goes unnoticed (touch the file, or `corpus prepare` anew). The settings are
the domain's name and `[domain]` options, `data.text_field`, `data.text_column`,
`data.txt_mode`, `data.validation_fraction`, `data.deduplicate`,
`data.near_duplicates`, the ssl-domains version, the domain plugin's distribution
and version, and the format. The number of workers is not among them: it does not
change the output.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssl_domains.data.corpus_files import item_size
from ssl_domains.data.deduplicator import deduplicator_for
from ssl_domains.data.prepare_corpus import REPORT_FILE, CorpusReport, prepare_corpus, worker_count
from ssl_domains.data.records import ReadOptions
from ssl_domains.errors import UserError

MANIFEST_FILE = "prepared.json"
FORMAT = 1
CACHE_VARIABLE = "SSL_DOMAINS_CACHE"


@dataclass
class PreparedCorpus:
    """A complete prepared-corpus directory and what it holds."""

    path: Path
    hash: str
    domain: str
    settings: dict[str, Any]
    report: CorpusReport


def cache_root() -> Path:
    """`$SSL_DOMAINS_CACHE`, else `$XDG_CACHE_HOME/ssl-domains`, else `~/.cache/ssl-domains`."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ssl-domains"


def corpus_settings(domain, config, plugin=None) -> dict[str, Any]:
    """Every setting that changes a prepared corpus (see the module docstring)."""
    from ssl_domains import __version__

    data = config.data
    options = config.domain
    return {
        "domain": domain.name,
        "domain_options": dataclasses.asdict(options) if dataclasses.is_dataclass(options) else {},
        "text_field": data.text_field,
        "text_column": data.text_column,
        "txt_mode": data.txt_mode,
        "validation_fraction": data.validation_fraction,
        "deduplicate": data.deduplicate,
        "near_duplicates": data.near_duplicates,
        "ssl_domains": __version__,
        "plugin": f"{plugin.distribution} {plugin.version}" if plugin is not None else "",
        "format": FORMAT,
    }


def input_identity(item) -> list:
    """What an input is compared by: path, size and mtime (a TFDS slice: its fields)."""
    if isinstance(item, Path):
        try:
            stat, where = item.stat(), str(item.resolve())
        except (OSError, RuntimeError):  # a broken link or a loop: the link is the input
            stat, where = item.lstat(), os.path.abspath(item)
        return [where, stat.st_size, stat.st_mtime_ns]
    return [repr(item)]


def corpus_hash(settings: dict[str, Any], items: Sequence) -> str:
    """16 hex digits of the SHA-256 of the settings and input identities, as JSON."""
    identity = {"settings": settings, "inputs": [input_identity(i) for i in items]}
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_prepared(path: Path) -> PreparedCorpus | None:
    """The prepared corpus at `path`, or None if it is not a complete one."""
    path = Path(path)
    if not ((path / MANIFEST_FILE).is_file() and (path / REPORT_FILE).is_file()):
        return None
    manifest = json.loads((path / MANIFEST_FILE).read_text())
    return PreparedCorpus(
        path.resolve(),
        manifest["hash"],
        manifest["domain"],
        manifest["settings"],
        CorpusReport.load(path),
    )


@dataclass(frozen=True)
class Engine:
    """What prepares a corpus: `workers` processes here (0: as many as pay off,
    `worker_count`), or, with a `runner`, an Apache Beam pipeline on it
    (`DirectRunner`, `DataflowRunner`, ...) with Beam's own `pipeline_args`. Either
    way the output is the same, so the engine is not part of the hash."""

    workers: int = 0
    runner: str = ""
    pipeline_args: tuple[str, ...] = ()


def write_prepared(
    out: Path,
    domain,
    items: Sequence,
    settings: dict[str, Any],
    engine: Engine = Engine(),
    on_item=None,
) -> PreparedCorpus:
    """Prepare `items` into `out` atomically (see the module docstring) with `engine`,
    and return it. `on_item(item, nbytes)` is called after each item, in input order,
    for progress bars (in-process engines only)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would keep other users' runs out
    try:
        options = ReadOptions(settings["text_field"], settings["text_column"], settings["txt_mode"])
        if engine.runner:
            _prepare_with_beam(domain, items, staging, options, settings, engine)
        else:
            dedup = deduplicator_for(settings["deduplicate"], settings["near_duplicates"])
            count = worker_count(engine.workers, items, sum(map(item_size, items)))
            prepare_corpus(
                domain,
                items,
                staging,
                options,
                settings["validation_fraction"],
                on_file=on_item,
                dedup=dedup,
                workers=count,
            )
        write_manifest(staging, settings, items)
        staging.rename(out)
    except OSError:
        if load_prepared(out) is None:  # not another process's finished copy
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return load_prepared(out)


def _prepare_with_beam(domain, items, staging, options, settings, engine: Engine):
    try:
        from ssl_domains.data.beam_pipeline import prepare_with_beam
    except ImportError:
        raise UserError(
            "--runner prepares with Apache Beam: pip install 'ssl-domains[beam]'"
        ) from None
    prepare_with_beam(
        domain.name,
        domain.config,
        items,
        staging,
        options,
        settings["validation_fraction"],
        settings["deduplicate"],
        settings["near_duplicates"],
        engine.runner,
        engine.pipeline_args,
    )


def write_manifest(folder: Path, settings: dict[str, Any], items: Sequence) -> None:
    """Write `prepared.json`: last, once shards and report are complete (other writers
    of prepared corpora, such as a Beam pipeline, call this too)."""
    manifest = {
        "format": FORMAT,
        "hash": corpus_hash(settings, items),
        "domain": settings["domain"],
        "settings": settings,
        "inputs": [input_identity(i) for i in items],
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")


def check_domain(prepared: PreparedCorpus, domain: str) -> None:
    if prepared.domain != domain:
        raise UserError(
            f"{prepared.path} was prepared for the {prepared.domain!r} domain, not "
            f"{domain!r}; prepare it again with `ssl-domains corpus prepare --domain {domain}`"
        )


def differing_settings(prepared: PreparedCorpus, settings: dict[str, Any]) -> list[str]:
    """Names of the settings in which `prepared` differs from `settings`."""
    return sorted(k for k, v in settings.items() if prepared.settings.get(k) != v)


def prepare_with_progress(
    out: Path, domain, items: Sequence, settings: dict[str, Any], engine: Engine, console
) -> PreparedCorpus:
    """`write_prepared`, with a progress bar of bytes read on `console` (for Beam, a
    line: its workers report no progress here)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    if engine.runner:
        console.print(f"preparing on Apache Beam's {engine.runner}")
        return write_prepared(out, domain, items, settings, engine)

    total = sum(map(item_size, items))
    with Progress(
        TextColumn("[bold]reading corpus"), BarColumn(), DownloadColumn(), console=console
    ) as bar:
        task = bar.add_task("read", total=total)
        advance = lambda _, size: bar.advance(task, size)  # noqa: E731
        return write_prepared(out, domain, items, settings, engine, advance)


def prepare_into(
    out: Path, domain, items: Sequence, settings: dict[str, Any], engine: Engine, console
) -> PreparedCorpus:
    """Prepare into `out`, unless it already holds this very corpus; refuse to replace
    anything else there."""
    out = Path(out)
    existing = load_prepared(out)
    if existing is not None and existing.hash == corpus_hash(settings, items):
        console.print(f"{out} already holds this prepared corpus ({existing.hash})")
        return existing
    if out.exists():
        raise UserError(f"{out} exists; remove it or choose another --out")
    return prepare_with_progress(out, domain, items, settings, engine, console)


def cached_corpus(
    domain, items: Sequence, settings: dict[str, Any], engine: Engine, console
) -> PreparedCorpus:
    """The prepared corpus of `items` and `settings` in the cache, made on first use."""
    digest = corpus_hash(settings, items)
    folder = cache_root() / "corpora" / digest
    found = load_prepared(folder)
    if found is not None:
        console.print(f"reusing prepared corpus {digest} ({folder})")
        return found
    return prepare_with_progress(folder, domain, items, settings, engine, console)
