"""`tfds:` corpora: splits of a TFDS dataset prepared locally, never downloaded.

The dataset is built here with the TFDS builder API into a temporary data_dir: prose
from the Python standard library's docstrings, a title, and a clip of the speech
sample stored at 8 kHz. Its builder is not registered, so it is read back from its
files, as a dataset prepared by another program would be.
"""

from __future__ import annotations

import importlib
import inspect
import socket
from pathlib import Path

import numpy as np
import pytest

from ssl_domains.data.corpus_files import find_files, item_size, read_item
from ssl_domains.data.records import ReadOptions
from ssl_domains.data.tfds_source import TfdsSlice, TfdsSpec, parse_spec
from ssl_domains.errors import UserError
from ssl_domains.plugin.registry import registry

tfds = pytest.importorskip("tensorflow_datasets")

MODULES = ("json", "csv", "argparse", "heapq", "sched", "pickle", "logging", "tarfile")
SPEECH = Path(__file__).parents[1] / "plugins" / "speech" / "data" / "audio"
SHARDS = 3


def stdlib_paragraphs() -> list[tuple[str, str]]:
    """(module, paragraph) of prose paragraphs of some standard-library docstrings."""
    found = []
    for name in MODULES:
        for paragraph in (inspect.getdoc(importlib.import_module(name)) or "").split("\n\n"):
            if len(paragraph.split()) >= 15 and ">>>" not in paragraph:
                found.append((name, paragraph))
    return found


def speech_at_8khz() -> list[np.ndarray]:
    """int16 recordings of the speech sample, every other sample: 8 kHz."""
    import soundfile

    files = sorted(SPEECH.glob("*.flac"))[:3]
    return [soundfile.read(str(f), dtype="int16")[0][::2] for f in files]


class StdlibDocs(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        features = {
            "text": tfds.features.Text(),
            "title": tfds.features.Text(),
            "speech": tfds.features.Audio(sample_rate=8000, dtype=np.int16),
        }
        return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict(features))

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples()}

    def _generate_examples(self):
        clips = speech_at_8khz()
        for i, (title, text) in enumerate(stdlib_paragraphs()):
            yield i, {"text": text, "title": title, "speech": clips[i % len(clips)]}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tfds")
    config = tfds.download.DownloadConfig(num_shards=SHARDS)
    StdlibDocs(data_dir=str(root)).download_and_prepare(download_config=config)
    return root


def read_all(domain, items) -> list:
    return [record for item in items for record in read_item(domain, item, ReadOptions())]


def test_a_spec_names_a_dataset_its_config_and_a_split():
    assert parse_spec("tfds:wiki/en:train[1:9]") == TfdsSpec("wiki", "en", "train[1:9]")
    assert parse_spec("tfds:stdlib_docs") == TfdsSpec("stdlib_docs", None, "train")


def test_the_text_records_of_a_split_are_its_examples_read_shard_by_shard(data_dir):
    finance = registry().domain("finance")()
    spec = "tfds:stdlib_docs:train"
    with pytest.raises(UserError, match="more than one Text feature.*text \\(Text\\)"):
        read_all(finance, find_files([spec], str(data_dir)))

    items = find_files([spec], str(data_dir), "text")
    assert len(items) == SHARDS and all(isinstance(item, TfdsSlice) for item in items)
    assert sorted(read_all(finance, items)) == sorted(p for _, p in stdlib_paragraphs())
    shard_bytes = sum(f.stat().st_size for f in data_dir.rglob("*.tfrecord*"))
    assert sum(item_size(item) for item in items) == pytest.approx(shard_bytes, abs=SHARDS)

    half = find_files(["tfds:stdlib_docs:train[:50%]"], str(data_dir), "title")
    assert len(read_all(finance, half)) == len(stdlib_paragraphs()) // 2


def test_audio_is_resampled_as_the_audio_reader_resamples_files(data_dir, tmp_path):
    import soundfile

    from ssl_domains.audio.signal import read_audio

    speech = registry().domain("speech")()
    items = find_files(["tfds:stdlib_docs:train[:3]"], str(data_dir))
    waves = read_all(speech, items)
    expected = []
    for i, clip in enumerate(speech_at_8khz()):
        soundfile.write(tmp_path / f"{i}.wav", clip, 8000, subtype="PCM_16")
        expected.append(read_audio(tmp_path / f"{i}.wav", speech.sample_rate))
    digest = {w.tobytes() for w in expected}
    assert len(waves) == 3 and all(w.dtype == np.float32 for w in waves)
    assert all(w.tobytes() in digest for w in waves)


def test_pretraining_reads_a_tfds_split(data_dir, tmp_path):
    from rich.console import Console

    from ssl_domains.config import resolve_config
    from ssl_domains.pipelines.pretraining import pretrain

    flags = {
        "run.domain": "finance",
        "run.dir": str(tmp_path / "run"),
        "data.corpus": ["tfds:stdlib_docs:train"],
        "data.seq_len": 32,
        "train.steps": 2,
        "train.batch_size": 4,
    }
    sets = ["model.size=nano", "recipe.validation_batches=1", f"data.tfds_dir={data_dir}"]
    sets.append("data.tfds_field=text")
    config = resolve_config(registry(), flags=flags, sets=sets)
    result = pretrain(config, console=Console(quiet=True), progress=False)
    assert result.step == 2
    assert (result.report.files, result.report.records) == (SHARDS, len(stdlib_paragraphs()))


def test_a_dataset_not_prepared_is_refused_without_downloading(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    empty = str(tmp_path / "empty")
    for name in ("stdlib_docs", "mnist"):  # unknown to TFDS; in its catalog
        with pytest.raises(UserError, match=f"not prepared in {empty}.*tfds build {name}"):
            find_files([f"tfds:{name}:train"], empty)
