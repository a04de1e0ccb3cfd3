"""Tests of the __NAME__ domain; they pass as generated. Run: python -m pytest tests"""

from __PACKAGE__ import __CLASS__

from ssl_domains.api import ReadOptions, Registry, find_files, prepare_corpus

DOMAIN = __CLASS__()


def test_the_domain_is_registered_and_fits_the_plugin_api():
    plugin = Registry.discover().plugin("domain", "__NAME__")
    assert plugin.ok and plugin.distribution == "__DIST__"


def test_the_sample_pairs_decode_and_prepare(tmp_path):
    files = find_files(DOMAIN.sample_corpus())
    report = prepare_corpus(DOMAIN, files, tmp_path, ReadOptions(), 0.2)
    assert report.kept > 10 and not report.skipped_files
