"""Tests of the __NAME__ domain; they pass as generated. Run: python -m pytest tests"""

from collections import Counter

from __PACKAGE__ import __CLASS__

from ssl_domains.api import (
    ReadOptions,
    Registry,
    apply_rules,
    class_names,
    find_files,
    prepare_corpus,
    read_labeled,
)

DOMAIN = __CLASS__()


def test_the_domain_is_registered_and_fits_the_plugin_api():
    plugin = Registry.discover().plugin("domain", "__NAME__")
    assert plugin.ok and plugin.distribution == "__DIST__"


def test_identifiers_are_redacted_and_counted():
    counts = Counter()
    cleaned = DOMAIN.clean("Policy POL-12345678 covers the roof.", counts)
    assert "12345678" not in cleaned and counts == Counter({"policy_number": 1})


def test_the_rules_agree_in_python_and_tensorflow():
    import tensorflow as tf

    from ssl_domains.api import domain_normalizer

    lines = DOMAIN.sample_corpus()[0].read_text().splitlines()
    rules = DOMAIN.redactions() + DOMAIN.normalizations()
    in_graph = [x.decode() for x in domain_normalizer(DOMAIN)(tf.constant(lines)).numpy()]
    assert in_graph == [apply_rules(rules, line) for line in lines]


def test_the_sample_corpus_reads_without_skips(tmp_path):
    files = find_files(DOMAIN.sample_corpus())
    report = prepare_corpus(DOMAIN, files, tmp_path, ReadOptions(), 0.1)
    assert report.skipped_records == 0 and not report.skipped_files
    assert report.train_records > 50


def test_the_labeled_sample_has_at_least_two_classes():
    rows = read_labeled(DOMAIN.sample_labels(), {"text": "text", "label": "label"})
    assert len(class_names(rows.columns["label"], rows.path)) >= 2
