"""Prepared corpora: made once (`corpus prepare`, or the cache), read in place by runs."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pytest
from conftest import QUICK, metrics, run_cli
from rich.console import Console
from ssl_domains.plugins.finance import FinanceDomain
from typer.testing import CliRunner

from ssl_domains.config import resolve_config
from ssl_domains.data import item_preparation
from ssl_domains.data.deduplicator import Deduplicator
from ssl_domains.data.prepare_corpus import SPAWN, prepare_corpus
from ssl_domains.data.prepared_corpus import (
    MANIFEST_FILE,
    Engine,
    cached_corpus,
    corpus_hash,
    corpus_settings,
    load_prepared,
    write_prepared,
)
from ssl_domains.data.records import ReadOptions
from ssl_domains.data.shared_digests import SharedDigests
from ssl_domains.errors import UserError
from ssl_domains.pipelines.pretraining import prepare
from ssl_domains.plugin.registry import registry
from ssl_domains.training.run_directory import RunDirectory

WORDS = (
    "the company said that revenue for the quarter rose and the board will review its "
    "outlook as analysts expect shares in the market to hold while costs fell"
).split()


def finance_config(*specs: Path, **data):
    sets = [f"data.{k}={v}" for k, v in data.items()]
    flags = {"run.domain": "finance", "data.corpus": [str(s) for s in specs] or None}
    return resolve_config(registry(), flags=flags, sets=sets)


def settings_of(config) -> dict:
    domain = registry().domain("finance")(config.domain)
    return corpus_settings(domain, config, registry().plugin("domain", "finance"))


def new_run(config, path: Path) -> RunDirectory:
    config.run.dir = str(path)
    return RunDirectory.create(config, "unused")


def quiet() -> Console:
    return Console(file=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture(scope="module")
def prepared(small_corpus, tmp_path_factory) -> Path:
    """The finance sample's first 300 documents, prepared by `corpus prepare`."""
    from ssl_domains.cli.main import app

    out = tmp_path_factory.mktemp("prepared") / "finance"
    result = CliRunner().invoke(
        app, ["corpus", "prepare", str(small_corpus), "--domain", "finance", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def test_corpus_prepare_writes_shards_report_and_hash_and_nothing_half_done(prepared):
    manifest = json.loads((prepared / MANIFEST_FILE).read_text())
    assert len(manifest["hash"]) == 16 and manifest["domain"] == "finance"
    assert manifest["settings"]["validation_fraction"] == 0.05
    found = load_prepared(prepared)
    assert found.hash == manifest["hash"] and found.report.kept > 250
    for name in found.report.train_files + found.report.validation_files:
        assert (prepared / name).is_file()
    assert [p.name for p in prepared.parent.iterdir()] == ["finance"]  # no .tmp- left


def test_the_hash_changes_with_any_input_or_setting_but_not_by_itself(small_corpus, tmp_path):
    copy = tmp_path / "finance.txt"
    copy.write_text(small_corpus.read_text())
    base = corpus_hash(settings_of(finance_config()), [copy])
    assert corpus_hash(settings_of(finance_config()), [copy]) == base
    for changed in ({"validation_fraction": 0.1}, {"near_duplicates": "false"}):
        assert corpus_hash(settings_of(finance_config(**changed)), [copy]) != base
    assert corpus_hash(settings_of(finance_config()), [copy, small_corpus]) != base
    copy.write_text(copy.read_text() + "One more filing.\n")
    assert corpus_hash(settings_of(finance_config()), [copy]) != base


def _documents(rng: random.Random, count: int) -> list[str]:
    """One per line, each a sentence, so that files are read a record per line."""
    return [
        "The " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 60))) + "."
        for _ in range(count)
    ]


def prepared_by_workers(files: list[Path], root: Path, counts) -> dict:
    """For each count of workers, the finance domain's preparation of `files` (with
    deduplication) as (its report as a dict, {shard name: bytes})."""
    outputs = {}
    for workers in counts:
        out = root / f"workers-{workers}"
        report = prepare_corpus(
            FinanceDomain(), files, out, ReadOptions(), 0.2, dedup=Deduplicator(), workers=workers
        )
        shards = {n: (out / n).read_bytes() for n in report.train_files + report.validation_files}
        outputs[workers] = (dataclasses.asdict(report), shards)
    return outputs


def test_one_and_two_workers_keep_the_same_documents(tmp_path):
    """Duplicates across files, exact and near, are decided in input order either way."""
    rng = random.Random(0)
    files = []
    shared = _documents(rng, 8)
    for index in range(4):
        lines = _documents(rng, 30) + shared  # each file repeats the shared ones
        lines.append(shared[0] + " Indeed.")  # a near duplicate of an earlier file's
        rng.shuffle(lines)
        files.append(tmp_path / f"part-{index}.txt")
        files[-1].write_text("\n".join(lines) + "\n")
    outputs = prepared_by_workers(files, tmp_path, (1, 2))
    assert outputs[1] == outputs[2]
    dropped = outputs[1][0]["dropped"]
    assert dropped["exact_duplicate"] >= 3 * 8 and dropped["near_duplicate"] >= 1


def test_a_copy_of_a_record_is_counted_as_its_first_was(tmp_path, monkeypatch):
    """A copy gets the verdict the worker reached on the first (`Verdicts`), only for
    speed: its redactions and the reason it is dropped count again, as they do when
    every copy is cleaned and checked anew."""
    rng = random.Random(1)
    iban = "The fund paid the fee to the account of the firm, IBAN DE44500105175407324931."
    german = "Der Umsatz stieg im dritten Quartal deutlich und die Nachfrage blieb stark " * 2
    lines = _documents(rng, 20) + [iban] * 3 + [german] * 2 + [iban + "  "]
    rng.shuffle(lines)
    (tmp_path / "a.txt").write_text("\n".join(lines) + "\n")
    remembered = prepared_by_workers([tmp_path / "a.txt"], tmp_path / "with", (1,))[1]
    monkeypatch.setattr(item_preparation.Verdicts, "BUDGET", 0)  # remembers nothing
    anew = prepared_by_workers([tmp_path / "a.txt"], tmp_path / "without", (1,))[1]
    assert remembered == anew
    report = remembered[0]
    assert report["redactions"]["iban"] == 4
    assert report["dropped"]["wrong_language"] == 2
    assert report["dropped"]["exact_duplicate"] == 3


def test_runs_read_a_prepared_corpus_in_place_and_refuse_another_domain(prepared, tmp_path):
    config = finance_config(prepared)
    run = new_run(config, tmp_path / "finance")
    report = prepare(FinanceDomain(), config, run, quiet(), registry())
    assert not list(run.data.glob("*.tfrecord"))  # nothing copied
    assert all(Path(n).parent == prepared.resolve() for n in report.train_files)
    record = json.loads(run.prepared_record.read_text())
    assert record == {"path": str(prepared.resolve()), "hash": load_prepared(prepared).hash}
    # A resumed run finds the same shards again through its saved report.
    assert prepare(FinanceDomain(), config, RunDirectory.open(run.path), quiet()) == report
    legal = resolve_config(
        registry(), flags={"run.domain": "legal", "data.corpus": [str(prepared)]}
    )
    other = new_run(legal, tmp_path / "legal")
    with pytest.raises(UserError, match="prepared for the 'finance' domain"):
        prepare(registry().domain("legal")(), legal, other, quiet(), registry())


def test_raw_corpora_are_prepared_into_the_cache_once(small_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_DOMAINS_CACHE", str(tmp_path / "cache"))
    reads = []
    original = item_preparation.read_records
    monkeypatch.setattr(
        item_preparation,
        "read_records",
        lambda *args: reads.append(args[1]) or original(*args),
    )
    config = finance_config(small_corpus)
    first = prepare(FinanceDomain(), config, new_run(config, tmp_path / "a"), quiet(), registry())
    assert reads == [small_corpus]
    console = Console(record=True, width=200)
    again = finance_config(small_corpus)
    second = prepare(FinanceDomain(), again, new_run(again, tmp_path / "b"), console, registry())
    assert reads == [small_corpus] and second == first  # not read again
    digest = corpus_hash(settings_of(config), [small_corpus])
    assert f"reusing prepared corpus {digest}" in console.export_text()
    assert Path(first.train_files[0]).parent == tmp_path / "cache" / "corpora" / digest


def test_a_run_whose_cached_corpus_is_gone_is_refused_before_reading_changed_inputs(
    small_corpus, tmp_path, monkeypatch
):
    import shutil

    monkeypatch.setenv("SSL_DOMAINS_CACHE", str(tmp_path / "cache"))
    corpus = tmp_path / "filings.txt"
    corpus.write_text(small_corpus.read_text())
    config = finance_config(corpus)
    run = new_run(config, tmp_path / "run")
    report = prepare(FinanceDomain(), config, run, quiet(), registry())
    shutil.rmtree(Path(report.train_files[0]).parent)  # the cache entry is deleted...
    corpus.write_text(corpus.read_text() + "One more filing was added to the corpus.\n")
    reads = []
    monkeypatch.setattr(item_preparation, "read_records", lambda *args: reads.append(args))
    with pytest.raises(UserError, match="inputs or settings have changed"):
        prepare(FinanceDomain(), config, run, quiet(), registry())  # ...and the input changed
    assert reads == []  # refused before preparing anything


def test_an_interrupted_preparation_is_never_taken_for_a_prepared_corpus(
    small_corpus, tmp_path, monkeypatch
):
    config = finance_config(small_corpus)
    settings = settings_of(config)
    digest = corpus_hash(settings, [small_corpus])
    folder = tmp_path / "corpora" / digest
    monkeypatch.setenv("SSL_DOMAINS_CACHE", str(tmp_path))
    write_prepared(folder, FinanceDomain(), [small_corpus], settings)
    # What a killed preparation leaves: shards and report in a .tmp- folder, no manifest.
    leftover = folder.with_name(f"{digest}.tmp-killed")
    folder.rename(leftover)
    (leftover / MANIFEST_FILE).unlink()
    assert load_prepared(leftover) is None and load_prepared(folder) is None
    prepared = cached_corpus(FinanceDomain(), [small_corpus], settings, Engine(1), quiet())
    assert prepared.path == folder.resolve() and prepared.hash == digest

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("ssl_domains.data.prepared_corpus.prepare_corpus", killed)
    with pytest.raises(KeyboardInterrupt):
        write_prepared(tmp_path / "elsewhere", FinanceDomain(), [small_corpus], settings)
    assert not (tmp_path / "elsewhere").exists()
    assert not list(tmp_path.glob("elsewhere.tmp-*"))


@pytest.mark.slow
def test_pretrain_trains_and_resumes_on_a_prepared_corpus_in_place(prepared, tmp_path):
    run_dir = tmp_path / "run"
    quick = [*QUICK, "--set", "train.checkpoint_every=2"]
    first = run_cli(
        "pretrain", "--domain", "finance", "--corpus", str(prepared), "--steps", "4",
        "--run-dir", str(run_dir), "--set", "train.stop_at=2", *quick,
    )  # fmt: skip
    assert first.returncode == 0, first.output
    assert "using prepared corpus" in first.output
    assert not list((run_dir / "data").glob("*.tfrecord"))
    resumed = run_cli("pretrain", "--resume", str(run_dir))
    assert resumed.returncode == 0, resumed.output
    assert metrics(run_dir)[-1]["step"] == 4


def test_the_shared_digest_table_finds_what_was_added_and_stops_when_full():
    table = SharedDigests(SPAWN, slots=8)
    digests = [bytes([i + 1]) * 16 for i in range(8)]
    for digest in digests:
        table.add(digest)
    assert [d in table for d in digests] == [True] * 6 + [False] * 2  # two-thirds full
