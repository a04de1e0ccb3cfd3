"""Corpus hygiene: duplicates, encoding and language checks, redaction that holds."""

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import QUICK, run_cli

from ssl_domains.data.deduplicator import SHINGLE_CHUNK, Deduplicator, shingle_hashes
from ssl_domains.text.quality import english_words, english_words_ascii, quality_issue

FILING = (
    "Acme Corp reported third quarter revenue of $4.2bn, up 12% from a year earlier, as "
    "demand for its industrial sensors held up across Europe and North America. Net income "
    "rose to $610m and the board declared a quarterly dividend of $0.45 per share."
)


def test_exact_duplicates_are_found_whatever_the_case_and_spacing():
    dedup = Deduplicator(near=False)
    assert dedup.check(FILING) is None
    assert dedup.check("  " + FILING.upper().replace(" ", "   ")) == "exact_duplicate"


def test_near_duplicates_are_found_and_different_texts_are_not():
    dedup = Deduplicator()
    assert dedup.check(FILING) is None
    edited = FILING.replace("$0.45", "$0.46").replace("Europe", "Asia")
    assert dedup.check(edited) == "near_duplicate"
    other = "The central bank held its policy rate at 4.5% and signalled patience on cuts."
    assert dedup.check(other) is None


def test_signatures_computed_together_equal_datasketchs_one_text_at_a_time():
    """`Deduplicator.fingerprints` signs many texts in one numpy pass, only for speed:
    each signature equals a datasketch MinHash fed that text's shingles, from a
    one-word paragraph to a text of more shingles than one chunk holds (the paragraphs
    and the whole of Python's own `argparse.py`)."""
    import argparse

    from datasketch import MinHash

    whole = Path(argparse.__file__).read_text()
    texts = [*whole.split("\n\n")[:300], "Revenue", "", whole]
    assert len(whole.split()) > SHINGLE_CHUNK
    dedup = Deduplicator()
    found = dedup.fingerprints(texts)
    for text, fingerprint in zip(texts, found, strict=True):
        words = text.casefold().split()
        if not words:
            assert fingerprint.signature is None
            continue
        alone = MinHash(num_perm=dedup.num_perm, hashfunc=int, scheme="affine32")
        alone.update_batch(shingle_hashes(words, min(dedup.shingle, len(words))).tolist())
        assert np.array_equal(fingerprint.signature, alone.hashvalues)


def test_ascii_words_are_counted_as_the_unicode_pattern_counts_them():
    """The language check counts an ASCII text's words with a byte table, only for
    speed: the counts equal the Unicode pattern's on every ASCII paragraph of
    Python's `argparse.py` and `email/`, and on every ASCII character at once."""
    import argparse
    import email

    sources = [Path(argparse.__file__), *Path(email.__file__).parent.glob("*.py")]
    paragraphs = [p for f in sources for p in f.read_text().split("\n\n") if p.isascii()]
    paragraphs.append("".join(map(chr, range(128))) * 3)
    assert len(paragraphs) > 1000
    for paragraph in paragraphs:
        assert english_words_ascii(paragraph) == english_words(paragraph), paragraph
    assert english_words_ascii("The RATE of THE fund, and_its yield") == (8, 5)


def test_damaged_encoding_and_other_languages_are_flagged():
    assert quality_issue("Revenue rose to 12 \ufffd today", "en") == "bad_encoding"
    assert quality_issue("Le cafÃ© de la soirÃ©e Ã©tait froid", "en") == "bad_encoding"
    german = "Der Umsatz stieg im dritten Quartal deutlich, getragen von starker Nachfrage " * 2
    assert quality_issue(german, "en") == "wrong_language"
    assert quality_issue(FILING, "en") is None
    assert quality_issue(german, None) is None  # the check is per domain (code has none)


def test_corpus_inspect_reports_counts_duplicates_redactions_and_fertility(tmp_path):
    corpus = tmp_path / "filings.txt"
    planted = "Refunds go to account number 004512398871 at the agent."
    lines = [FILING, FILING, planted] + [
        f"{name} shares rose {i}% after the company raised its outlook for fiscal 2025."
        for i, name in enumerate(["Acme", "Zenith", "Calder", "Borealis"] * 10)
    ]
    corpus.write_text("\n".join(lines) + "\n")
    result = run_cli(
        "corpus",
        "inspect",
        str(corpus),
        "--domain",
        "finance",
        "--plot",
        str(tmp_path / "lengths.png"),
    )
    assert result.returncode == 0, result.output
    out = result.stdout
    assert re.search(r"dropped: exact duplicate\s*│\s*1", out)
    assert re.search(r"redacted: account\s*│\s*1", out)
    assert "tokens/word" in out and "domain vocabulary" in out
    assert (tmp_path / "lengths.png").read_bytes().startswith(b"\x89PNG")


def test_corpus_inspect_shows_token_lengths_against_seq_len_and_warns_on_fragments(tmp_path):
    import shutil
    from pathlib import Path

    licenses = sorted(Path("/usr/share/common-licenses").glob("*GPL*"))
    if not licenses:
        pytest.skip("this machine has no /usr/share/common-licenses")
    corpus = tmp_path / "licenses"
    corpus.mkdir()
    for path in licenses:  # real, hard-wrapped text no one on the team wrote
        if path.is_file():
            shutil.copy(path, corpus / path.name)
    as_read = run_cli("corpus", "inspect", str(corpus), "--domain", "legal")
    assert as_read.returncode == 0, as_read.output
    assert ".txt read by paragraphs:" in as_read.stdout
    assert "record length (tokens) against seq_len 256" in as_read.stdout
    assert "warning" not in as_read.stdout
    by_line = run_cli(
        "corpus", "inspect", str(corpus), "--domain", "legal", "--set", "data.txt_mode=line"
    )
    assert by_line.returncode == 0, by_line.output
    assert "warning:" in by_line.stdout and "data.txt_mode=paragraph" in by_line.stdout


def test_a_planted_identifier_reaches_no_vocabulary_shard_log_or_output(tmp_path, small_corpus):
    secrets = ["004512398871", "4539148803436467", "DE44500105175407324931"]
    planted = [
        f"Refunds will be wired to account number {secrets[0]} by the agent.",
        f"The deposit was paid with card number {secrets[1][:4]} {secrets[1][4:8]} "
        f"{secrets[1][8:12]} {secrets[1][12:]}.",
        f"Send the escrow to IBAN {secrets[2]} before closing.",
    ]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(small_corpus.read_text() + "\n".join(planted * 20) + "\n")
    run = tmp_path / "run"
    result = run_cli(
        "pretrain",
        "--domain",
        "finance",
        "--corpus",
        str(corpus),
        "--steps",
        "6",
        "--run-dir",
        str(run),
        *QUICK,
    )
    assert result.returncode == 0, result.output
    searched = 0
    for path in run.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            searched += 1
            for secret in secrets:
                for fragment in (secret, secret[-8:]):
                    assert fragment.encode() not in data, f"{fragment} found in {path}"
    assert searched > 10
    for secret in secrets:
        assert secret not in result.output
