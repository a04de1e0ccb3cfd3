"""Junk input never kills or hangs corpus preparation (issue 13): for every modality,
each kind of junk is skipped and counted by reason in the corpus report, and the good
records around it are kept; a plugin hook that raises skips what it raised on, and
one that raises on everything stops the run with one line."""

from __future__ import annotations

import dataclasses
import errno
import gzip
import json
import os
import signal
import struct
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image
from ssl_domains.plugins.finance import FinanceDomain
from ssl_domains.plugins.speech import SpeechDomain

from ssl_domains.data.corpus_files import find_files
from ssl_domains.data.deduplicator import Deduplicator
from ssl_domains.data.lines import DAMAGED_GZIP, HAS_NUL, NOT_UTF8, TOO_LONG
from ssl_domains.data.prepare_corpus import WORKER_DIED, prepare_corpus
from ssl_domains.data.records import BadRecord, ReadOptions
from ssl_domains.errors import UserError
from ssl_domains.image.domain import ImageDomain
from ssl_domains.image_text.domain import ImageTextDomain

PIPE = "not a regular file (a named pipe)"
NOT_UTF8_RECORD = BadRecord(NOT_UTF8)


@pytest.fixture(autouse=True)
def no_hang():
    """A reader that opens a named pipe waits forever: fail the test instead."""

    def hung(*_):
        raise TimeoutError("corpus preparation hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def sentence(i: int) -> str:
    return f"Revenue rose {i}% to ${i}.5bn in Q{1 + i % 4} 2024."


def lines(numbers) -> str:
    return "".join(sentence(i) + "\n" for i in numbers)


def prepare(domain, files, out: Path, **kwargs):
    return prepare_corpus(domain, files, out, ReadOptions(), 0.0, **kwargs)


def file_reasons(report) -> Counter:
    return Counter(report.skipped_files.values())


def unreadable(path: Path, monkeypatch) -> None:
    """Make `path` unreadable to this process: chmod 000, or for root (whom modes do
    not stop) an `os.open` that is refused for it, as the kernel refuses others."""
    path.chmod(0)
    if not os.access(path, os.R_OK):
        return
    real_open = os.open

    def refusing_open(name, *args, **kwargs):
        if Path(name) == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(name))
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)


def test_junk_text_is_skipped_by_reason_and_the_good_records_around_it_kept(tmp_path, monkeypatch):
    corpus = tmp_path / "text"
    corpus.mkdir()
    (corpus / "good.txt").write_text(lines(range(20)))
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    (corpus / "empty.txt").write_bytes(b"")
    line = "x" * 10_000_000  # one 10 MB line between good ones
    (corpus / "long.txt").write_text(lines(range(100, 103)) + line + "\n" + lines(range(103, 106)))
    whole = gzip.compress(lines(range(1000, 3000)).encode())
    (corpus / "cut.txt.gz").write_bytes(whole[: len(whole) // 2])
    (corpus / "broken.jsonl").write_bytes(
        b"\n".join(
            [
                json.dumps({"text": sentence(700)}).encode(),
                b'{"text": "an unterminated',
                b'{"text": 5}',
                b'{"other": "no text field"}',
                b'{"text": "a NUL \\u0000 escaped"}',
                b'{"text": "caf\xe9 in Latin-1"}',
                json.dumps({"text": sentence(701)}).encode(),
                b"[" * 100_000,  # deep enough to exhaust the parser's recursion
                json.dumps({"text": sentence(702)}).encode(),
            ]
        )
        + b"\n"
    )
    (corpus / "nul.csv").write_bytes(
        b"id,text\n"
        + f"1,{sentence(800)}\n".encode()
        + b"2,a row with a \x00 NUL byte\n"
        + f"3,{sentence(801)}\n".encode()
        + b"4,caf\xe9 in Latin-1\n"
        + f"5,{sentence(802)}\n".encode()
        + b'6,"'
        + b"y" * 200_000
        + b'"\n'
        + f"7,{sentence(803)}\n".encode()
    )
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "gone.txt").symlink_to(corpus / "nowhere.txt")
    os.mkfifo(corpus / "pipe.txt")
    locked = corpus / "locked.txt"
    locked.write_text(lines(range(900, 910)))
    unreadable(locked, monkeypatch)

    # A folder lists the named pipe, the loop and the broken link.
    files = find_files([corpus])
    assert {corpus / "loop.txt", corpus / "gone.txt", corpus / "pipe.txt"} <= set(files)
    report = prepare(FinanceDomain(), files, tmp_path / "out")

    assert report.files == 11
    assert file_reasons(report) == {
        "binary file (contains NUL bytes)": 1,
        "empty file": 1,
        "symlink loop": 1,
        "file not found (a broken symlink?)": 1,
        PIPE: 1,
        "permission denied": 1,
    }
    assert report.skip_reasons == {
        TOO_LONG: 1,
        DAMAGED_GZIP: 1,
        "invalid JSON": 2,
        "field 'text' is not text": 1,
        "no field 'text'": 1,
        HAS_NUL: 2,
        NOT_UTF8: 2,
        "malformed CSV row (field larger than field limit (131072))": 1,
    }
    # good.txt, long.txt around its long line, the JSONL and CSV rows around the bad
    # ones, and what the cut gzip held before the cut.
    fixed = 20 + 6 + 3 + 4
    assert fixed + 100 < report.kept < fixed + 2000 and not report.dropped


def test_a_bad_line_in_hard_wrapped_prose_spoils_its_document_and_the_rest_is_still_read(
    tmp_path,
):
    from ssl_domains.text.reading import read_text_records

    prose = "the board said that revenue\nrose in the quarter as\ncosts fell.\n\n"
    path = tmp_path / "wrapped.txt"
    path.write_bytes(prose.encode() + b"a caf\xe9 line\n\n" + prose.encode())
    records = list(read_text_records(path, ReadOptions(txt_mode="paragraph")))
    unwrapped = "the board said that revenue rose in the quarter as costs fell."
    assert records == [NOT_UTF8_RECORD, unwrapped]


def tone(hz: float, seconds: float = 0.5, rate: int = 16_000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def wav_header(rate: int, frames: int, channels: int = 1) -> bytes:
    """A 16-bit PCM WAV header claiming `frames` at `rate` Hz, and those frames."""
    block = channels * 2
    data = b"\x01\x00" * frames * channels
    fmt = struct.pack("<HHIIHH", 1, channels, rate, (rate * block) & 0xFFFFFFFF, block, 16)
    body = b"WAVEfmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data))
    return b"RIFF" + struct.pack("<I", len(body) + len(data)) + body + data


def test_junk_audio_is_skipped_by_reason_and_the_good_clips_kept(tmp_path):
    corpus = tmp_path / "audio"
    (corpus / "listed").mkdir(parents=True)
    good = []
    for i, hz in enumerate((220, 330, 440, 550)):
        good.append(corpus / f"good{i}.wav")
        soundfile.write(good[-1], tone(hz), 16_000, subtype="PCM_16")
    soundfile.write(corpus / "full.wav.tmp", tone(660, 1.0), 16_000, subtype="PCM_16", format="WAV")
    (corpus / "cut.wav").write_bytes((corpus / "full.wav.tmp").read_bytes()[:20_000])
    (corpus / "fast.wav").write_bytes(wav_header(2**31 - 1, 1600))  # resampling: 320 GiB
    (corpus / "slow.wav").write_bytes(wav_header(1, 1600))  # 1 Hz: 1600 s of samples
    (corpus / "empty.wav").write_bytes(b"")
    (corpus / "noise.wav").write_bytes(np.random.default_rng(0).bytes(5_000))
    os.mkfifo(corpus / "pipe.wav")
    soundfile.write(corpus / "listed" / "ok.wav", tone(770), 16_000, subtype="PCM_16")
    os.mkfifo(corpus / "listed" / "pipe.wav")
    (corpus / "clips.csv").write_bytes(
        b"path,label\nlisted/ok.wav,a\nlisted/pipe.wav,b\nlisted/caf\xe9.wav,c\nlisted/gone.wav,d\n"
    )
    names = ["cut", "fast", "slow", "empty", "noise", "pipe"]
    files = [*good, *(corpus / f"{name}.wav" for name in names), corpus / "clips.csv"]

    report = prepare(SpeechDomain(), files, tmp_path / "out")

    reasons = {Path(path).stem: reason for path, reason in report.skipped_files.items()}
    assert reasons.keys() == set(names)
    assert reasons["cut"].startswith("truncated: ")
    assert reasons["fast"] == "implausible sample rate (2147483647 Hz)"
    assert reasons["slow"] == "implausible sample rate (1 Hz)"
    assert reasons["empty"] == "empty file"
    assert reasons["noise"].startswith("cannot decode audio")
    assert reasons["pipe"] == PIPE
    listed = Counter(reason.split(":")[0] for reason in Counter(report.skip_reasons).elements())
    assert report.skip_reasons[f"pipe.wav: {PIPE}"] == 1
    assert listed == {"pipe.wav": 1, NOT_UTF8: 1, "gone.wav": 1}
    assert report.kept == 5


class Tiles(ImageDomain):
    name = "tiles"


def tile(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (24, 32, 3)).astype("uint8")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + data))
    return struct.pack(">I", len(data)) + kind + data + crc


def png(width: int, height: int, idat: bytes = b"") -> bytes:
    """A grayscale PNG whose header claims `width` x `height`."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunks = png_chunk(b"IHDR", header) + (png_chunk(b"IDAT", idat) if idat else b"")
    return b"\x89PNG\r\n\x1a\n" + chunks + png_chunk(b"IEND", b"")


def zero_bomb(side: int) -> bytes:
    """A valid PNG of `side` x `side` black pixels: a few KB that decode to side**2
    bytes (7000: 49 MB, over the 40 MP limit)."""
    row = b"\x00" * (side + 1)  # filter byte, then the pixels
    squeezer = zlib.compressobj(9)
    data = b"".join(squeezer.compress(row) for _ in range(side)) + squeezer.flush()
    return png(side, side, data)


def junk_images(folder: Path) -> dict[str, str]:
    """Bad images written into `folder`, by name: the reason each is skipped for."""
    Image.fromarray(tile(99)).save(folder / "whole.png")
    whole = (folder / "whole.png").read_bytes()
    (folder / "whole.png").unlink()
    Image.fromarray(tile(98)).save(folder / "tiff.png", format="TIFF")
    writes = {
        "noise.png": np.random.default_rng(0).bytes(500),
        "truncated.png": whole[:200],
        "empty.png": b"",
        "claims.png": png(50_000, 50_000),  # Pillow's own bomb error, at open
        "bomb.png": zero_bomb(7_000),
    }
    for name, data in writes.items():
        (folder / name).write_bytes(data)
    os.mkfifo(folder / "pipe.png")
    (folder / "loop.png").symlink_to(folder / "loop.png")
    return {
        "noise.png": "not a readable image",
        "tiff.png": "not a readable image",  # a TIFF decoder is never used
        "truncated.png": "cannot decode: image file is truncated",
        "empty.png": "empty file",
        "claims.png": "claims over 40000000 pixels (a decompression bomb?)",
        "bomb.png": "claims 7000x7000 pixels, over the 40000000 limit",
        "pipe.png": PIPE,
        "loop.png": "symlink loop",
    }


def test_junk_images_and_bombs_are_skipped_by_reason_before_decoding_and_the_rest_kept(
    tmp_path,
):
    corpus = tmp_path / "images"
    corpus.mkdir()
    for i in range(5):
        Image.fromarray(tile(i)).save(corpus / f"good{i}.png")
    expected = junk_images(corpus)

    files = [*find_files([corpus]), corpus / "loop.png"]  # a folder lists no loops
    report = prepare(Tiles(), files, tmp_path / "out")

    reasons = {Path(path).name: reason for path, reason in report.skipped_files.items()}
    assert reasons.keys() == expected.keys()
    for name, reason in expected.items():
        assert reasons[name].startswith(reason), name
    assert report.kept == 5 and not report.skip_reasons


class Pairs(ImageTextDomain):
    name = "pairs"


def test_junk_image_text_pairs_and_manifest_rows_are_counted_by_reason_and_the_rest_kept(
    tmp_path,
):
    corpus = tmp_path / "pairs"
    (corpus / "img").mkdir(parents=True)
    for i in range(3):
        Image.fromarray(tile(i)).save(corpus / "img" / f"p{i}.png")
    junk_images(corpus / "img")
    rows = [
        json.dumps({"path": f"img/p{i}.png", "caption": f"a tile numbered {i}"}) for i in range(3)
    ]
    rows += [
        '{"path": "img/p0.png", "caption": ',  # cut short
        json.dumps({"path": "img/noise.png", "caption": "noise"}),
        json.dumps({"path": "img/bomb.png", "caption": "a bomb"}),
        json.dumps({"path": "img/pipe.png", "caption": "a named pipe"}),
        json.dumps({"path": "img/p1.png", "caption": "   "}),
    ]
    manifest = corpus / "pairs.jsonl"
    manifest.write_bytes(
        "\n".join(rows).encode() + b'\n{"path": "img/p2.png", "caption": "\xe9"}\n'
    )
    Image.fromarray(tile(10)).save(corpus / "long.png")
    (corpus / "long.txt").write_text("word " * 20_000)  # 100 KB: not a caption
    Image.fromarray(tile(11)).save(corpus / "latin.png")
    (corpus / "latin.txt").write_bytes(b"caf\xe9 au lait")
    files = [manifest, *(corpus / name for name in ("long.png", "long.txt", "latin.png"))]

    report = prepare(Pairs(), files, tmp_path / "out")

    assert report.skip_reasons == {
        "invalid JSON manifest row": 1,
        NOT_UTF8: 1,
        "corrupt image": 2,
        "missing image": 1,  # the named pipe: never opened
        "empty caption": 1,
        "caption over 64 KiB": 1,
        "unreadable caption": 1,
    }
    assert report.kept == 3 and not report.skipped_files


TRIGGERS = {
    "clean": ValueError,
    "quality": KeyError,
    "dedup_key": TypeError,
    "split": ZeroDivisionError,
    "measure": ArithmeticError,
}


class Flaky(FinanceDomain):
    """Raises in each hook on the record that names it; `read` on `boom.txt`; and
    `split` gives a piece no text shard can hold for `ENCODE`."""

    name = "flaky"

    def read(self, path, options):
        if path.name == "boom.txt":
            raise RuntimeError("cannot read this one")
        yield from super().read(path, options)

    def _maybe(self, hook, record):
        if f"hook {hook}" in record:
            raise TRIGGERS[hook](f"{hook} failed")

    def clean(self, record, counts):
        self._maybe("clean", record)
        return super().clean(record, counts)

    def quality(self, record):
        self._maybe("quality", record)
        return super().quality(record)

    def dedup_key(self, record):
        self._maybe("dedup_key", record)
        return super().dedup_key(record)

    def split(self, record):
        self._maybe("split", record)
        return [123] if "hook encode" in record else super().split(record)

    def measure(self, record):
        self._maybe("measure", record)
        return super().measure(record)


class Broken(FinanceDomain):
    """A plugin whose `clean` cannot work at all."""

    name = "broken"

    def clean(self, record, counts):
        raise ValueError("the rules file is missing")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_raising_plugin_hook_skips_that_record_counted_under_the_plugin_and_hook(
    tmp_path, workers
):
    hooks = [*TRIGGERS, "encode"]
    text = lines(range(12)) + "".join(f"{sentence(50 + i)} hook {h}\n" for i, h in enumerate(hooks))
    (tmp_path / "good.txt").write_text(text)
    (tmp_path / "boom.txt").write_text(lines(range(30, 40)))
    files = [tmp_path / "good.txt", tmp_path / "boom.txt"]

    report = prepare(Flaky(), files, tmp_path / "out", dedup=Deduplicator(), workers=workers)

    names = {**{h: e.__name__ for h, e in TRIGGERS.items()}, "encode": "AttributeError"}
    assert report.skip_reasons == {f"plugin flaky: {h} raised {e}": 1 for h, e in names.items()}
    assert report.skipped_files == {str(files[1]): "plugin flaky: read raised RuntimeError"}
    assert report.kept == 12


@pytest.mark.parametrize("workers", [1, 2])
def test_a_plugin_hook_that_raises_on_every_record_stops_the_run_with_one_line(tmp_path, workers):
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text(lines(range(5)))
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]

    with pytest.raises(UserError) as stopped:
        prepare(Broken(), files, tmp_path / "out", workers=workers)

    message = str(stopped.value)
    assert message == (
        "plugin broken: clean raised on every record (10 of 10), first ValueError: the "
        "rules file is missing; fix the plugin's clean"
    )


def test_a_plugin_broken_from_the_start_stops_the_run_before_the_rest_of_the_corpus(tmp_path):
    files = []
    for name in ("a", "b", "c"):
        files.append(tmp_path / f"{name}.txt")
        files[-1].write_text(lines(range(600)))
    read = []

    with pytest.raises(UserError, match=r"clean raised on every record \(1200 of 1200\)"):
        prepare(Broken(), files, tmp_path / "out", on_file=lambda path, size: read.append(path))
    assert read == files[:1]  # 600 calls after a.txt are not a verdict; 1200 after b.txt are


class Crashing(FinanceDomain):
    """A plugin whose reader kills its process on `crash.txt`, as a segfaulting
    decoder or the OOM killer would."""

    name = "crashing"

    def read(self, path, options):
        if path.name == "crash.txt":
            os.kill(os.getpid(), signal.SIGKILL)
        yield from super().read(path, options)


def test_a_file_that_kills_its_worker_is_skipped_and_the_rest_prepared(tmp_path):
    files = [tmp_path / name for name in ("a.txt", "crash.txt", "b.txt", "c.txt")]
    for i, path in enumerate(files):
        path.write_text(lines(range(10 * i, 10 * i + 10)))
    report = prepare(Crashing(), files, tmp_path / "out", workers=2)
    assert report.skipped_files == {str(files[1]): WORKER_DIED}
    assert report.files == 4 and report.kept == 30


def test_beam_counts_raising_hooks_as_the_in_process_pass_does_and_stops_on_a_broken_one(
    tmp_path, monkeypatch
):
    pytest.importorskip("apache_beam")
    from ssl_domains.data.beam_pipeline import prepare_with_beam
    from ssl_domains.plugin import registry

    class Plugins:  # Beam's workers rebuild the domain by its registered name
        def domain(self, name):
            return {"flaky": Flaky, "broken": Broken}[name]

    monkeypatch.setattr(registry, "registry", Plugins)
    hooks = [*TRIGGERS, "encode"]
    text = lines(range(12)) + "".join(f"{sentence(50 + i)} hook {h}\n" for i, h in enumerate(hooks))
    (tmp_path / "good.txt").write_text(text)
    (tmp_path / "boom.txt").write_text(lines(range(30, 40)))
    files = [tmp_path / "good.txt", tmp_path / "boom.txt"]
    beam = {"runner": "DirectRunner", "pipeline_args": ["--direct_num_workers=1"]}

    expected = prepare(Flaky(), files, tmp_path / "in-process", dedup=Deduplicator())
    got = prepare_with_beam(
        "flaky", None, files, tmp_path / "beam", ReadOptions(), 0.0, True, True, **beam
    )
    with pytest.raises(UserError, match="^plugin broken: clean raised on every record"):
        prepare_with_beam(
            "broken", None, files, tmp_path / "broken", ReadOptions(), 0.0, False, False, **beam
        )

    unsharded = {"train_files": [], "validation_files": []}
    assert dataclasses.replace(got, **unsharded) == dataclasses.replace(expected, **unsharded)
    assert got.skipped_files == {str(files[1]): "plugin flaky: read raised RuntimeError"}
    assert not (tmp_path / "broken").exists()


class Undividable(FinanceDomain):
    name = "undividable"

    def divide(self, record, fraction):
        raise IndexError("no words")


def test_a_raising_divide_leaves_a_one_record_corpus_validating_on_itself_and_says_why(
    tmp_path,
):
    (tmp_path / "one.txt").write_text(sentence(1) + "\n")

    report = prepare_corpus(
        Undividable(), [tmp_path / "one.txt"], tmp_path / "out", ReadOptions(), 0.1
    )

    assert report.train_records == report.validation_records == 1
    assert report.split_note.startswith(
        "one record, not divided (plugin undividable: divide raised IndexError): validating"
    )


def test_an_item_handed_to_a_pool_a_dead_worker_broke_is_not_lost(tmp_path):
    from concurrent.futures.process import BrokenProcessPool

    from ssl_domains.data import prepare_corpus as preparation

    pool = preparation._worker_pool(None, 1)
    with pytest.raises(BrokenProcessPool):
        pool.submit(os.abort).result()  # the worker dies
    refused = preparation._submit(pool, tmp_path / "a.txt", tmp_path / "a.stage")
    with pytest.raises(BrokenProcessPool):
        refused.result()  # rerun with the items in flight, not raised at submission
    pool.shutdown()
