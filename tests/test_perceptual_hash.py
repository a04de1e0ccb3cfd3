"""Near-duplicate images by perceptual hash: an option of image domains, off by default."""

import io
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from ssl_domains.api import ImageDomain, UserError
from ssl_domains.data.corpus_files import find_files
from ssl_domains.data.deduplicator import Deduplicator, HammingIndex, HashKey
from ssl_domains.data.prepare_corpus import prepare_corpus
from ssl_domains.data.records import ReadOptions
from ssl_domains.image.perceptual_hash import dhash, hamming


class Photos(ImageDomain):
    name = "photos"


def photo(name: str) -> Image.Image:
    """A real photograph shipped with scikit-learn or matplotlib."""
    if name == "grace_hopper.jpg":
        from matplotlib import cbook

        return Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    from sklearn.datasets import load_sample_image

    return Image.fromarray(load_sample_image(name))


def recompressed(image: Image.Image, quality: int = 60) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


COPIES = {
    "resized to half": lambda im: im.resize((im.width // 2, im.height // 2), Image.BICUBIC),
    "re-encoded as JPEG": recompressed,
    "brightened 10%": lambda im: ImageEnhance.Brightness(im).enhance(1.1),
    "all three": lambda im: recompressed(
        ImageEnhance.Brightness(im.resize((im.width * 2 // 3, im.height * 2 // 3))).enhance(1.1)
    ),
}


def prepared(folder: Path, out: Path, near: bool, dedup: Deduplicator | None = None):
    domain = Photos(Photos.Config(near_duplicates=near))
    files = find_files([folder])
    return prepare_corpus(domain, files, out, ReadOptions(), 0.0, dedup=dedup or Deduplicator())


@pytest.mark.parametrize("change", COPIES)
def test_a_changed_copy_of_a_photo_is_a_near_duplicate_only_with_the_option(tmp_path, change):
    original = photo("china.jpg")
    copy = COPIES[change](original)
    assert hamming(dhash(np.asarray(original)), dhash(np.asarray(copy.convert("RGB")))) <= 6
    folder = tmp_path / "photos"
    folder.mkdir()
    original.save(folder / "china.png")
    copy.convert("RGB").save(folder / "china-copy.jpg", quality=90)
    kept = prepared(folder, tmp_path / "on", near=True)
    assert (kept.kept, kept.dropped) == (1, {"near_duplicate": 1})
    off = prepared(folder, tmp_path / "off", near=False)
    assert (off.kept, off.dropped) == (2, {})


def test_different_photos_are_all_kept_with_the_option_on(tmp_path):
    names = ("china.jpg", "flower.jpg", "grace_hopper.jpg")
    hashes = [dhash(np.asarray(photo(name).convert("RGB"))) for name in names]
    assert min(hamming(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]) > 12
    for name in names:
        photo(name).convert("RGB").save(tmp_path / name.replace(".jpg", ".png"))
    report = prepared(tmp_path, tmp_path / "out", near=True)
    assert (report.kept, report.dropped) == (3, {})


def test_exact_copies_are_exact_duplicates_and_the_report_counts_each_kind(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    flower = photo("flower.jpg")
    flower.save(folder / "flower.png")
    flower.save(folder / "flower-again.png")  # same pixels
    recompressed(flower).save(folder / "flower.jpg", quality=95)
    photo("china.jpg").save(folder / "china.png")
    report = prepared(folder, tmp_path / "out", near=True)
    assert report.kept == 2
    assert report.dropped == {"exact_duplicate": 1, "near_duplicate": 1}


def test_data_near_duplicates_off_turns_the_image_option_off_too(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    original = photo("china.jpg")
    original.save(folder / "china.png")
    recompressed(original).save(folder / "china.jpg")
    report = prepared(folder, tmp_path / "out", near=True, dedup=Deduplicator(near=False))
    assert (report.kept, report.dropped) == (2, {})


def test_dhash_sees_gradients_not_brightness_and_reads_grayscale():
    image = np.asarray(photo("china.jpg").convert("RGB"))
    darker = (image * 0.8).astype(np.uint8)
    assert hamming(dhash(image), dhash(darker)) <= 2
    gray = np.asarray(Image.fromarray(image).convert("L"))[..., None]
    assert hamming(dhash(image), dhash(gray)) <= 2
    assert dhash(np.zeros((32, 32, 3), np.uint8)) == 0 == dhash(np.full((8, 8, 3), 200, np.uint8))
    assert 0 <= dhash(image) < 2**64


@pytest.mark.parametrize("within", [0, 3, 6, 10, 16])
def test_the_banded_index_finds_exactly_the_hashes_within_range(within):
    """Against brute force: every stored hash within `within` bits is found, none beyond."""
    rng = random.Random(within)
    index = HammingIndex(within)
    stored = [rng.getrandbits(64) for _ in range(300)]
    for value in stored:
        index.add(value)
    for _ in range(400):
        base = rng.choice(stored)
        flips = rng.sample(range(64), rng.randint(0, within + 3))
        query = base
        for bit in flips:
            query ^= 1 << bit
        found = index.find(query)
        near = [s for s in stored if hamming(s, query) <= within]
        assert (found is not None) == bool(near)
        assert found is None or hamming(found, query) <= within


def test_a_hash_key_without_bits_finds_exact_duplicates_only():
    dedup = Deduplicator()
    assert dedup.check(HashKey("a")) is None
    assert dedup.check(HashKey("a")) == "exact_duplicate"
    assert dedup.check(HashKey("b", bits=0b1011, within=2)) is None
    assert dedup.check(HashKey("c", bits=0b0011, within=2)) == "near_duplicate"
    assert dedup.check(HashKey("d", bits=0b0011)) is None  # no hamming given: exact only


def test_the_hamming_option_is_checked():
    Photos.Config(hamming=16).validate()
    with pytest.raises(UserError, match="domain.hamming must be 0 to 16"):
        Photos.Config(hamming=40).validate()
    assert Photos.Config().near_duplicates is False  # off by default
