"""The `finance` domain: filings, earnings releases, analyst notes, market wraps.

What is special about finance text:
- amounts, rates and periods carry the meaning, but come in many spellings
  (`US$ 1,250 million`, `USD 1.25bn`); they are put into one canonical form and
  kept whole by tokenisation (`$1,250m`, `12.5%`, `45bps`, `Q3-FY2024`, `$ACME`);
- account, payment-card and IBAN numbers must never be trained on: they are
  replaced by `[ACCOUNT]`, `[CARD]` and `[IBAN]` while the corpus is read;
- the vocabulary is cased: `ACME` the ticker is not `acme`.
"""

from __future__ import annotations

from pathlib import Path

from ssl_domains.api import Rule, TextDomain

DATA = Path(__file__).parent / "data"
_ORDINALS = ("first", "second", "third", "fourth")
_SYMBOLS = {"US\\$|USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_SCALES = {"billion|bn": "bn", "million|mn|m": "m", "thousand|k": "k", "trillion|tn": "tn"}

# An amount in canonical form: symbol, digits (thousands commas allowed), scale.
MONEY = r"[$€£¥]\d[\d,]*(?:\.\d+)?(?:bn|tn|m|k)?"
PERCENT = r"\d+(?:\.\d+)?%"
CASHTAG = r"\$[A-Z]{1,5}\b"
PERIOD = r"(?:Q[1-4]|H[12]|9M)-(?:FY)?\d{4}|FY\d{4}"
ISO_DATE = r"\d{4}-\d{2}-\d{2}"


def redaction_rules() -> list[Rule]:
    """Identifiers to remove before anything is trained. Order matters: IBANs and
    labelled account numbers first, then bare card-length digit runs."""
    return [
        Rule("iban", r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", "[IBAN]"),
        Rule(
            "account",
            r"(?i)\b(account|acct\.?)((?:\s+(?:number|no\.?|#))?\s*:?\s*)\d[\d -]{4,}\d\b",
            r"\1\2[ACCOUNT]",
        ),
        Rule("card", r"\b\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}\b", "[CARD]"),
    ]


def normalization_rules() -> list[Rule]:
    """Canonical spellings of amounts, rates, periods and tickers."""
    rules = [
        Rule("currency", rf"\b(?:{code})\s?(\d)", rf"{sym}\1") for code, sym in _SYMBOLS.items()
    ]
    rules.append(Rule("currency", r"([$€£¥])\s+(\d)", r"\1\2"))
    rules += [
        Rule("scale", rf"([$€£¥]\d[\d,]*(?:\.\d+)?)\s?(?:{words})\b", rf"\1{short}")
        for words, short in _SCALES.items()
    ]
    rules += [
        Rule("percent", r"(\d)\s?(?:percent|per cent|pct)\b", r"\1%"),
        Rule("percent", r"(\d) %", r"\1%"),
        Rule("basis_points", r"(\d)\s?(?:basis points|bps|bp)\b", r"\1bps"),
    ]
    for i, ordinal in enumerate(_ORDINALS, start=1):
        rules += [
            Rule(
                "period",
                rf"(?i)\b{ordinal}[ -]quarter of fiscal (?:year )?(\d{{4}})\b",
                rf"Q{i}-FY\1",
            ),
            Rule("period", rf"(?i)\b{ordinal}[ -]quarter of (\d{{4}})\b", rf"Q{i}-\1"),
        ]
    rules += [
        Rule("period", r"\bQ([1-4])\s?FY\s?(\d{4})\b", r"Q\1-FY\2"),
        Rule("period", r"\bQ([1-4])\s?FY\s?(\d{2})\b", r"Q\1-FY20\2"),
        Rule("period", r"\bQ([1-4])\s(\d{4})\b", r"Q\1-\2"),
        Rule("period", r"(?i)\bfirst half of (\d{4})\b", r"H1-\1"),
        Rule("period", r"(?i)\bsecond half of (\d{4})\b", r"H2-\1"),
        Rule("period", r"(?i)\b(?:first )?nine months of (\d{4})\b", r"9M-\1"),
        Rule("period", r"\b(H[12]|9M)\s(\d{4})\b", r"\1-\2"),
        Rule("period", r"(?i)\bfiscal (?:year )?(\d{4})\b", r"FY\1"),
        Rule("period", r"\bFY\s?(\d{4})\b", r"FY\1"),
        Rule("period", r"\bFY\s?(\d{2})\b", r"FY20\1"),
        Rule("ticker", r"\((NYSE|NASDAQ|Nasdaq|LSE|TSX):\s?([A-Z]{1,5})\)", r"(\1: $\2)"),
    ]
    return rules


class FinanceDomain(TextDomain):
    """Financial text: cased WordPiece, canonical amounts, redacted account numbers.

    Examples:

    ```python
    from collections import Counter
    from ssl_domains.plugins.finance import FinanceDomain

    domain = FinanceDomain()
    domain.clean("Wire to account 004512398871 today.", Counter())
    # 'Wire to account [ACCOUNT] today.'
    ```
    """

    name = "finance"
    description = "Filings, earnings releases, analyst notes and market wraps."
    default_recipe = "mlm"
    lowercase = False
    defaults = {
        "model.size": "tiny",
        "model.vocabulary_size": 6000,
        "data.seq_len": 128,
        "train.steps": 600,
        "train.batch_size": 32,
    }

    def sample_corpus(self) -> list[Path]:
        return [DATA / "corpus.txt"]

    def sample_labels(self) -> Path:
        """`context_labels.csv`: good or bad news told with the same words in both
        classes, so no keyword gives the label away (`labels.csv`: the older, lexical set)."""
        return DATA / "context_labels.csv"

    def redactions(self) -> list[Rule]:
        return redaction_rules()

    def normalizations(self) -> list[Rule]:
        return normalization_rules()

    def units(self) -> list[str]:
        return [MONEY, PERCENT, CASHTAG, PERIOD, ISO_DATE]
