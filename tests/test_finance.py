"""The finance domain: canonical units that survive tokenisation, and redaction."""

from collections import Counter

import pytest
import tensorflow as tf
from conftest import FINANCE_CORPUS
from ssl_domains.plugins.finance import FinanceDomain

from ssl_domains.text.encoder import domain_normalizer, domain_units
from ssl_domains.text.rules import apply_rules
from ssl_domains.text.tokenizer import DomainTokenizer

DOMAIN = FinanceDomain()


def normalize(text: str) -> str:
    return domain_normalizer(DOMAIN)(tf.constant([text])).numpy()[0].decode()


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("revenue of US$ 1,250 million", "revenue of $1,250m"),
        ("a USD 4.2 billion deal", "a $4.2bn deal"),
        ("EUR 12bn of bonds", "€12bn of bonds"),
        ("margins fell 3 per cent", "margins fell 3%"),
        ("up 12.5 percent", "up 12.5%"),
        ("a 45 basis points cut", "a 45bps cut"),
        ("in the third quarter of fiscal 2024", "in the Q3-FY2024"),
        ("in Q3 FY24", "in Q3-FY2024"),
        ("Q1 2024 sales", "Q1-2024 sales"),
        ("the first half of 2023", "the H1-2023"),
        ("fiscal 2025 guidance", "FY2025 guidance"),
        ("Acme (NYSE: ACME) rose", "Acme (NYSE: $ACME) rose"),
    ],
)
def test_normalisation_puts_finance_entities_in_one_canonical_form(raw, canonical):
    assert normalize(raw) == canonical


def test_units_survive_tokenisation_as_whole_words():
    tokenizer = DomainTokenizer(lowercase=False, units=domain_units(DOMAIN))
    text = normalize("Acme (NYSE: ACME) said Q3 FY24 revenue rose 12.5 percent to US$ 4.2 billion.")
    words = [w.decode() for w in tokenizer.pretokenize([text]).to_list()[0]]
    for unit in ("$ACME", "Q3-FY2024", "12.5%", "$4.2bn"):
        assert unit in words
    # Plain BERT pre-tokenisation would have shredded them.
    plain = DomainTokenizer(lowercase=False).pretokenize([text]).to_list()[0]
    assert b"12.5%" not in plain and b"." in plain


def test_unicode_spaces_split_words_as_bert_splits_them():
    """BERT's tokenizer splits on every Unicode space (category Z); keras-hub's
    pre-tokeniser on ASCII whitespace only, so a vocabulary trained on real text (the
    changelogs of /usr/share/doc) held "word\u00a0word" tokens before."""
    tokenizer = DomainTokenizer(lowercase=False, units=domain_units(DOMAIN))
    words = tokenizer.pretokenize(["shares\u00a0rose 12.5%\u2009in\u3000Tokyo"]).to_list()[0]
    assert words == [b"shares", b"rose", b"12.5%", b"in", b"Tokyo"]


def test_units_map_to_one_token_sequence_starting_a_word():
    vocabulary = [
        "[PAD]",
        "[CLS]",
        "[SEP]",
        "[UNK]",
        "[MASK]",
        "rose",
        "$",
        "##4",
        "##.",
        "##2",
        "##bn",
        "12.5%",
    ]
    tokenizer = DomainTokenizer(vocabulary, units=domain_units(DOMAIN))
    tokens = [tokenizer.id_to_token(int(i)) for i in tokenizer("rose 12.5% $4.2bn")]
    assert tokens == ["rose", "12.5%", "$", "##4", "##.", "##2", "##bn"]


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Refunds go to account number 065297925027 at the agent.", "account"),
        ("credited to acct. no. 7096-3615-1642 held with", "account"),
        ("paid with card number 4539 1488 0343 6467 yesterday", "card"),
        ("paid with card 5425-2334-3010-9903.", "card"),
        ("wire to IBAN DE44 5001 0517 5407 3249 31 today", "iban"),
        ("wire to IBAN GB33BUKB20201555555555 today", "iban"),
    ],
)
def test_account_card_and_iban_numbers_are_redacted(text, kind):
    counts = Counter()
    cleaned = DOMAIN.clean(text, counts)
    assert counts == Counter({kind: 1})
    assert f"[{kind.upper()}]" in cleaned
    digits = "".join(ch for ch in text if ch.isdigit())
    assert digits[-8:] not in "".join(ch for ch in cleaned if ch.isdigit())


def test_redaction_leaves_ordinary_numbers_alone():
    text = "Revenue rose 12.5% to $4.2bn on 2024-03-14; EPS was $0.87, 1,250,000 shares."
    assert DOMAIN.clean(text, Counter()) == text


def test_python_and_tensorflow_rules_agree_on_the_whole_sample_corpus():
    lines = FINANCE_CORPUS.read_text().splitlines()
    rules = DOMAIN.redactions() + DOMAIN.normalizations()
    in_graph = domain_normalizer(DOMAIN)(tf.constant(lines)).numpy()
    in_python = [apply_rules(rules, line) for line in lines]
    assert [x.decode() for x in in_graph] == in_python
