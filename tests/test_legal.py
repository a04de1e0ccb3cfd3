"""The legal domain: citations kept whole, references canonical, long documents windowed."""

import csv
import importlib.util
import re
import sys
from collections import Counter

import pytest
import tensorflow as tf
from ssl_domains.plugins.legal import (
    DATA,
    SECTION,
    LegalDomain,
    LegalOptions,
    boundary_levels,
    split_windows,
)

from ssl_domains.errors import UserError
from ssl_domains.text.encoder import domain_normalizer, domain_units
from ssl_domains.text.rules import apply_rules
from ssl_domains.text.tokenizer import DomainTokenizer

DOMAIN = LegalDomain()
NORMALIZER = domain_normalizer(DOMAIN)
CORPUS = (DATA / "corpus.txt").read_text().splitlines()
OPENS_CLAUSE = re.compile(r"^(?:Section|ARTICLE|§+|\([a-z0-9ivx]{1,5}\)|[IVX]+\.|[A-H]\.)")


def normalize(text: str) -> str:
    return NORMALIZER(tf.constant([text])).numpy()[0].decode()


def words(text: str) -> list[str]:
    tokenizer = DomainTokenizer(lowercase=DOMAIN.lowercase, units=domain_units(DOMAIN))
    return [w.decode() for w in tokenizer.pretokenize([normalize(text)]).to_list()[0]]


def contract(sections: int, words_per_clause: int = 8) -> str:
    """A long contract whose every section has clauses (a) to (c)."""
    filler = " ".join(["the Supplier shall deliver conforming goods"] * 8).split()
    body = " ".join(filler[:words_per_clause])
    return " ".join(
        f"Section {i}.1 Delivery. (a) {body}. (b) {body}; and (c) {body}."
        for i in range(1, sections + 1)
    )


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("under Sec. 4.2(b) of the Agreement", "under Section 4.2(b) of the Agreement"),
        ("see 42 USC 1983", "see 42 U.S.C. § 1983"),
        ("see 42 U. S. C. §1983", "see 42 U.S.C. § 1983"),
        ("42 U.S.C. § 1983", "42 U.S.C. § 1983"),
        ("15 U.S.C. 78j(b)", "15 U.S.C. § 78j(b)"),
        ("17 CFR 240.10b-5", "17 C.F.R. § 240.10b-5"),
        ("17 C. F. R. § 240.10b-5", "17 C.F.R. § 240.10b-5"),
        ("§§1981-1983 and § § 12", "§§ 1981-1983 and §§ 12"),
        ("§\u00a01983", "§ 1983"),
        ("123 F. 3d 456", "123 F.3d 456"),
        ("231 A. 3d 1012", "231 A.3d 1012"),
        ("FRCP 12(b)(6)", "Fed. R. Civ. P. 12(b)(6)"),
        ("Fed.R.Civ.P. 56(a)", "Fed. R. Civ. P. 56(a)"),
        ("Fed.R.Evid. 702", "Fed. R. Evid. 702"),
        ("the \u201cConfidential Information\u201d", 'the "Confidential Information"'),
        ("the Party\u2019s notice", "the Party's notice"),
    ],
)
def test_normalisation_puts_references_in_one_canonical_form(raw, canonical):
    assert normalize(raw) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "In re Halvorsen Sec. Litig., the SEC alleged fraud.",
        "The Section heading is for convenience only.",
        "Pub. L. No. 111-203 was signed in 2010.",
    ],
)
def test_normalisation_leaves_other_text_alone(text):
    assert normalize(text) == text


def test_citations_survive_tokenisation_as_whole_words():
    found = words(
        "Okonkwo v. Marrowgate Software Ltd., 612 F.3d 1104, 1109 (9th Cir. 2010); Id. at "
        "1110; 42 U.S.C. § 1983; Fed. R. Civ. P. 12(b)(6); 17 C.F.R. § 240.10b-5; "
        "§§ 1981-1983; Section 4.2(b) and clause (b)(ii); 129 N.E.3d 44; e.g. Rule 10b-5."
    )
    for unit in (
        "v.",
        "Ltd.",
        "F.3d",
        "Cir.",
        "Id.",
        "U.S.C.",
        "Fed.",
        "R.",
        "Civ.",
        "P.",
        "12(b)(6)",
        "C.F.R.",
        "240.10b-5",
        "§§",
        "1981-1983",
        "4.2(b)",
        "(b)(ii)",
        "N.E.3d",
        "e.g.",
        "10b-5",
    ):
        assert unit in found, unit
    plain = DomainTokenizer(lowercase=False).pretokenize([normalize("42 U.S.C. § 1983")])
    assert b"U.S.C." not in plain.to_list()[0]


def test_defined_terms_share_their_tokens_with_later_references():
    found = words('"Confidential Information" means data. Confidential Information is secret.')
    assert found.count("Confidential") == 2 and found.count("Information") == 2
    assert found[0] == '"'  # the quote stays its own word: no unit hides the term


def test_short_documents_stay_whole():
    text = "Section 1.1 Term. This Agreement ends on December 31, 2030."
    assert DOMAIN.split(text) == [text]


def test_split_keeps_every_word_of_a_long_document_in_some_window():
    text = contract(40)
    windows = split_windows(text, window_words=60, overlap_words=12)
    covered = set()
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    for window in windows:
        start = text.index(window)
        covered |= {i for i, (a, b) in enumerate(spans) if start <= a and b <= start + len(window)}
    assert covered == set(range(len(spans)))


def test_windows_respect_the_size_bound_and_overlap():
    text = contract(40)
    windows = split_windows(text, window_words=60, overlap_words=12)
    assert len(windows) > 10
    assert all(len(w.split()) <= 60 for w in windows)
    # Consecutive windows share words, so a clause cut at one's end is whole in the next.
    positions = [text.index(w) for w in windows]
    ends = [p + len(w) for p, w in zip(positions, windows, strict=True)]
    assert all(nxt < end for nxt, end in zip(positions[1:], ends, strict=False))


def test_windows_begin_and_end_at_clause_or_section_boundaries():
    text = contract(40)
    windows = split_windows(text, window_words=60, overlap_words=12)
    for window in windows[1:]:
        assert OPENS_CLAUSE.match(window), window[:40]
    for window in windows[:-1]:
        rest = text[text.index(window) + len(window) :].split()
        assert not rest or OPENS_CLAUSE.match(rest[0]), window[-40:]


def test_a_clause_longer_than_a_window_falls_back_to_sentences_then_words():
    sentences = " ".join(f"The Buyer shall pay invoice {i} within thirty days." for i in range(30))
    one_clause = f"Section 1.1 Payment. (a) {sentences}"
    windows = split_windows(one_clause, window_words=50, overlap_words=10)
    assert all(w.split()[0] in ("Section", "The") for w in windows)
    endless = "Section 1.1 " + " ".join(["word"] * 400)
    windows = split_windows(endless, window_words=50, overlap_words=10)
    assert all(len(w.split()) <= 50 for w in windows)
    assert sum(len(w.split()) for w in windows) >= 402


def test_citation_abbreviations_do_not_end_sentences():
    text = "See Okonkwo v. Marrowgate Software Ltd., 612 F.3d 1104 (9th Cir. 2010). Id. at 1109."
    levels = boundary_levels(text.split())
    assert [w for w, level in zip(text.split(), levels, strict=True) if level] == ["See", "Id."]
    assert boundary_levels("terms; and (c) the Fees".split())[2] == SECTION


def test_sample_corpus_splits_into_bounded_windows_covering_every_document():
    for document in CORPUS:
        windows = DOMAIN.split(document)
        assert all(len(w.split()) <= LegalOptions().window_words for w in windows)
        assert windows[0].split()[0] == document.split()[0]
        assert windows[-1].split()[-1] == document.split()[-1]


def test_options_are_checked():
    with pytest.raises(UserError, match="overlap_words"):
        LegalOptions(window_words=100, overlap_words=60).validate()
    with pytest.raises(UserError, match="window_words"):
        LegalOptions(window_words=5, overlap_words=0).validate()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("legal_generate", DATA / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
        out = tmp_path_factory.mktemp("legal")
        return out, module.main(out)
    finally:
        del sys.modules[spec.name]


def test_sample_corpus_is_what_the_generator_writes_and_mostly_long(generated):
    out, summary = generated
    assert (out / "corpus.txt").read_bytes() == (DATA / "corpus.txt").read_bytes()
    assert (out / "labels.csv").read_bytes() == (DATA / "labels.csv").read_bytes()
    assert 300_000 <= summary["corpus_bytes"] <= 400_000
    assert summary["long_docs"] >= 15 and summary["max_words"] <= 4000


def test_labels_are_balanced_clause_types():
    with open(DATA / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = Counter(row["label"] for row in rows)
    assert set(labels) == {
        "confidentiality",
        "termination",
        "indemnification",
        "governing_law",
        "payment",
    }
    assert 400 <= len(rows) <= 600 and max(labels.values()) == min(labels.values())


def test_python_and_tensorflow_rules_agree_on_the_whole_sample_corpus():
    rules = DOMAIN.redactions() + DOMAIN.normalizations()
    in_graph = NORMALIZER(tf.constant(CORPUS)).numpy()
    assert [x.decode() for x in in_graph] == [apply_rules(rules, line) for line in CORPUS]
