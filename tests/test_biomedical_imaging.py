"""The biomedical-imaging domain: generated H&E tiles, a labeled sample colour cannot solve."""

import csv
import hashlib
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
from ssl_domains.plugins.biomedical.imaging import BiomedicalImagingDomain, _generator

from ssl_domains.api import ImageDomain, Registry, find_files, prepare_corpus, read_labeled
from ssl_domains.data.deduplicator import Deduplicator
from ssl_domains.data.records import ReadOptions
from ssl_domains.image.reading import read_image

BENCHMARK = Path(__file__).parents[1] / "benchmarks" / "imaging_labels.py"
generate = _generator()


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A private cache folder, where the domain writes its sample once for this module."""
    root = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root))
        yield root / "ssl-domains"


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("imaging_labels", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def digest(pixels: np.ndarray) -> str:
    return hashlib.blake2b(pixels.tobytes(), digest_size=16).hexdigest()


def test_the_domain_is_registered_as_an_image_domain_of_64_pixel_tiles():
    found = Registry.discover().domain("biomedical-imaging")
    assert found is BiomedicalImagingDomain and issubclass(found, ImageDomain)
    assert (found.modality, found.image_size, found.channels) == ("image", 64, 3)
    assert found.default_recipe == "simclr"
    assert {"near_duplicates", "hamming"} <= set(found.options())


def test_the_sample_is_generated_once_into_the_cache_and_complete(cache):
    domain = BiomedicalImagingDomain()
    tiles = domain.sample_corpus()[0]
    assert tiles.parent == cache / f"biomedical-imaging-v{generate.VERSION}"
    assert len(list(tiles.glob("*.png"))) == generate.CORPUS_TILES
    stamp = os.stat(tiles).st_mtime_ns
    assert domain.sample_corpus()[0] == tiles and os.stat(tiles).st_mtime_ns == stamp
    assert [p.name for p in cache.iterdir()] == [tiles.parent.name]  # no staging left over
    assert read_image(tiles / "tile-0000.png").shape == (64, 64, 3)


def test_the_sample_corpus_prepares_into_shards_without_near_duplicates(cache, tmp_path):
    domain = BiomedicalImagingDomain(BiomedicalImagingDomain.Config(near_duplicates=True))
    files = find_files(domain.sample_corpus())
    report = prepare_corpus(domain, files, tmp_path, ReadOptions(), 0.05, dedup=Deduplicator())
    assert report.unit == "images" and report.kept == generate.CORPUS_TILES
    assert report.dropped == {} and not report.skipped_files
    assert 0 < report.validation_records < report.train_records
    assert report.train_files and all((tmp_path / f).is_file() for f in report.train_files)


def test_generation_is_deterministic_and_seeded(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, seed in ((first, 7), (second, 7), (other, 8)):
        generate.write(folder, seed=seed, tiles=8, per_class=2)
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(names) == 8 + 2 * len(generate.KINDS) + 1
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "tiles" / "tile-0000.png").read_bytes() != (
        other / "tiles" / "tile-0000.png"
    ).read_bytes()
    with pytest.raises(ValueError, match="unknown tissue kind"):
        generate.tile(np.random.default_rng(0), "necrosis")


def test_labeled_tiles_are_balanced_and_none_is_a_pretraining_tile(cache):
    domain = BiomedicalImagingDomain()
    labels = domain.sample_labels()
    rows = read_labeled(labels, {"image": "path", "label": "label"})  # as finetune reads it
    counts = {kind: rows.columns["label"].count(kind) for kind in generate.KINDS}
    assert counts == dict.fromkeys(generate.KINDS, generate.LABELED_PER_CLASS)
    assert len(rows) == sum(counts.values()) and rows.skipped == 0
    with open(labels, newline="") as handle:
        listed = list(csv.DictReader(handle))
    labeled = {digest(read_image(labels.parent / r["path"])) for r in listed}
    corpus = {digest(read_image(p)) for p in find_files(domain.sample_corpus())}
    assert len(labeled) == len(listed) and not labeled & corpus


def test_colour_cannot_tell_the_tissue_kinds_apart_but_shape_can(cache, benchmark):
    images, labels = benchmark.read_sample(BiomedicalImagingDomain().sample_labels())
    chance = 1 / len(generate.KINDS)
    colour = benchmark.cross_validated(benchmark.colour_histograms(images), labels)
    statistics = benchmark.cross_validated(benchmark.colour_statistics(images), labels)
    shape = benchmark.cross_validated(benchmark.shape_features(images), labels)
    assert colour < chance + 0.12 and statistics < chance + 0.12, (colour, statistics)
    assert shape > 0.75, shape


def test_recolouring_deals_the_palette_out_by_brightness():
    """How every kind gets the colour histogram of round nuclei: its pixels take the
    round twin's colours, brightest to brightest."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    palette = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    out = generate._recolour(pixels, palette)
    rows = out.reshape(-1, 3)
    assert sorted(map(tuple, rows)) == sorted(map(tuple, palette.reshape(-1, 3)))
    weights = np.array([0.299, 0.587, 0.114])
    order = np.argsort(pixels.reshape(-1, 3) @ weights, kind="stable")
    assert np.all(np.diff(rows[order] @ weights) >= 0)


def test_views_flip_tiles_both_ways():
    import keras

    view = BiomedicalImagingDomain().views(64)
    flips = [layer.mode for layer in view.layers if isinstance(layer, keras.layers.RandomFlip)]
    assert sorted(flips) == ["horizontal", "vertical"]
    out = view(np.random.default_rng(0).random((2, 64, 64, 3)).astype("float32"), training=True)
    assert tuple(out.shape) == (2, 64, 64, 3)
