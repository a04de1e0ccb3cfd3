"""Tests of the __NAME__ domain; they pass as generated. Run: python -m pytest tests"""

from __PACKAGE__ import __CLASS__

from ssl_domains.api import (
    ReadOptions,
    Registry,
    class_names,
    find_files,
    prepare_corpus,
    read_audio,
    read_labeled,
)

DOMAIN = __CLASS__()


def test_the_domain_is_registered_and_fits_the_plugin_api():
    plugin = Registry.discover().plugin("domain", "__NAME__")
    assert plugin.ok and plugin.distribution == "__DIST__"


def test_the_sample_decodes_to_16_khz_mono():
    for path in find_files(DOMAIN.sample_corpus()):
        wave = read_audio(path, DOMAIN.sample_rate)
        assert wave.ndim == 1 and wave.dtype == "float32" and len(wave) > 0


def test_the_sample_corpus_reads_without_skips(tmp_path):
    files = find_files(DOMAIN.sample_corpus())
    report = prepare_corpus(DOMAIN, files, tmp_path, ReadOptions(), 0.2)
    assert report.skipped_records == 0 and not report.skipped_files
    assert report.kept == len(files)


def test_the_labeled_sample_has_at_least_two_classes():
    rows = read_labeled(DOMAIN.sample_labels(), {"audio": "path", "label": "label"})
    assert len(class_names(rows.columns["label"], rows.path)) >= 2
