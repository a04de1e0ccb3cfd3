"""Image corpora as people have them: formats, orientation, manifests, and junk."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from ssl_domains.api import ImageDomain
from ssl_domains.data.corpus_files import find_files
from ssl_domains.data.deduplicator import Deduplicator
from ssl_domains.data.prepare_corpus import prepare_corpus
from ssl_domains.data.records import BadFile, BadRecord, ReadOptions
from ssl_domains.image.reading import read_image, read_image_records


class Tiles(ImageDomain):
    name = "tiles"


def tile(seed: int, size=(24, 32)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*size, 3)).astype("uint8")


def huge_png_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims `width` x `height`, with no pixel data worth decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "BMP"])
def test_lossless_formats_read_back_their_pixels(tmp_path, fmt):
    path = tmp_path / f"a.{fmt.lower()}"
    kwargs = {"lossless": True} if fmt == "WEBP" else {}
    Image.fromarray(tile(0)).save(path, format=fmt, **kwargs)
    np.testing.assert_array_equal(read_image(path), tile(0))


def test_grayscale_and_rgb_convert_to_what_the_domain_asks(tmp_path):
    gray = tmp_path / "g.png"
    Image.fromarray(tile(0)[..., 0]).save(gray)
    assert read_image(gray).shape == (24, 32, 3)
    assert read_image(gray, channels=1).shape == (24, 32, 1)
    jpeg = tmp_path / "c.jpg"
    Image.fromarray(tile(1)).save(jpeg, quality=95)
    assert read_image(jpeg, channels=1).shape == (24, 32, 1)


def test_exif_orientation_turns_the_image_upright(tmp_path):
    path = tmp_path / "rotated.jpg"
    image = Image.fromarray(tile(0, (20, 40)))
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to view": the camera held sideways
    image.save(path, exif=exif)
    assert read_image(path).shape == (40, 20, 3)


def test_junk_is_a_reason_not_a_crash(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "noise.png").write_bytes(np.random.default_rng(0).bytes(500))
    good = tmp_path / "good.png"
    Image.fromarray(tile(0)).save(good)
    (tmp_path / "truncated.png").write_bytes(good.read_bytes()[:200])
    (tmp_path / "bomb.png").write_bytes(huge_png_header(50_000, 50_000))
    (tmp_path / "large.png").write_bytes(huge_png_header(7_000, 7_000))
    reasons = {}
    for name in ("empty", "noise", "truncated", "bomb", "large"):
        with pytest.raises(BadFile) as caught:
            list(read_image_records(tmp_path / f"{name}.png"))
        reasons[name] = str(caught.value)
    assert reasons["empty"] == "empty file"
    assert "not a readable image" in reasons["noise"]
    assert "cannot decode" in reasons["truncated"]
    assert reasons["bomb"] == "claims over 40000000 pixels (a decompression bomb?)"
    assert reasons["large"] == "claims 7000x7000 pixels, over the 40000000 limit"


def test_a_manifest_lists_images_relative_to_itself_and_counts_bad_ones(tmp_path):
    (tmp_path / "img").mkdir()
    Image.fromarray(tile(0)).save(tmp_path / "img" / "a.png")
    (tmp_path / "manifest.csv").write_text("path,label\nimg/a.png,x\nimg/missing.png,y\n")
    records = list(read_image_records(tmp_path / "manifest.csv"))
    assert records[0].shape == (24, 32, 3)
    assert isinstance(records[1], BadRecord) and records[1].reason.startswith("missing.png")


def test_a_folder_of_class_folders_prepares_without_duplicates_or_junk(tmp_path):
    corpus = tmp_path / "corpus"
    for label in ("normal", "tumour"):
        (corpus / label).mkdir(parents=True)
    for i in range(30):
        Image.fromarray(tile(i)).save(corpus / ("normal" if i % 2 else "tumour") / f"{i}.png")
    Image.fromarray(tile(3)).save(corpus / "normal" / "copy-of-3.png")  # same pixels
    Image.fromarray(tile(0, (4, 4))).save(corpus / "icon.png")  # under min_size
    (corpus / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    files = find_files([corpus])
    report = prepare_corpus(
        Tiles(), files, tmp_path / "out", ReadOptions(), 0.2, dedup=Deduplicator()
    )
    assert report.kept == 30 and report.unit == "images"
    assert report.dropped == {"exact_duplicate": 1, "too_small": 1}
    assert list(report.skipped_files) == [str(corpus / "broken.jpg")]


def test_corpus_inspection_reports_image_resolutions_and_channels(tmp_path):
    from ssl_domains.config import RunConfig
    from ssl_domains.pipelines.inspection import inspect_corpus

    for i in range(12):
        Image.fromarray(tile(i, (16, 16) if i < 8 else (40, 24))).save(tmp_path / f"{i}.png")
    result = inspect_corpus(Tiles(), find_files([tmp_path]), RunConfig())
    histograms = result.histograms
    assert histograms["resolution (height x width), most common"] == {"16x16": 8, "40x24": 4}
    assert histograms["shorter side (pixels)"] == {"16-31": 12}
    assert histograms["pixels per image"] == {"256-511": 8, "512-1023": 4}
    assert histograms["channels, as stored"] == {"3": 12}
    assert not result.fertility  # no tokenizer questions for images
