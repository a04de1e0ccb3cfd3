"""The `biomedical` domain: clinical notes, abstracts, drug labels and lab reports.

What is special about biomedical text:
- patient notes carry protected health information. Names, medical record numbers,
  dates of birth, phone numbers and email addresses are replaced by `[PATIENT]`,
  `[MRN]`, `[DOB]`, `[PHONE]` and `[EMAIL]` while the corpus is read, before anything
  is trained. Names are found by context only (after `Patient:`, `Name:` and the
  honorifics Mr./Mrs./Ms./Miss), since a bare capitalised word is as often a drug, an
  eponym or a gene as a person. Labels (`MRN:`, `DOB`) are kept so the model still
  learns what kind of field stood there.
  Clinicians after `Dr.` are kept on purpose: a clinician's name is not an identifier
  of the patient in the HIPAA Safe Harbor list, and "referred to Dr. Iyer
  (nephrology)" is the referral and specialty context a model should learn. A corpus
  whose governance says otherwise adds one rule, `Dr.` plus `NAME`, to `[CLINICIAN]`;
- quantities carry the meaning but come in many spellings (`500mg`, `500 mg`,
  `500 milligrams`; `mcg`, `µg`, `ug`; `b.i.d.`, `BID`, `bid`). Each is put into
  one canonical form, and a quantity is written as one whitespace-free word, the
  number glued to its unit as finance writes `$4.2bn` (`500mg`, `2.5mg/kg`, `5mcg/mL`,
  `120/80mmHg`, `37.8°C`, `7.2%`): WordPiece then learns `500` + `##mg`, one unit
  suffix shared by every dose. Micrograms are `mcg` (ISMP's recommended spelling;
  `µ` has two code points and is misread as `m`). Dosing frequencies and routes are
  upper case without dots (`BID`, `TID`, `QD`, `QHS`, `PRN`, `PO`, `IV`, `IM`): one
  word that no sentence-final period can be confused with. Protein names get their
  Greek letter as the literature prints it (`TNF alpha`, `TNFα` -> `TNF-α`; `IL-1 beta`
  -> `IL-1β`), `A1c` and `hemoglobin A1c` become `HbA1c`, and no-break spaces become
  spaces, so that each entity has one spelling for the vocabulary to learn;
- tokenisation keeps entities whole that BERT's pre-tokeniser would shred at every
  hyphen, digit boundary or dot: quantities, blood-pressure ratios, chemical names
  with locants (`N-acetylcysteine`, `5-fluorouracil`), gene and protein symbols
  (`BRCA1`, `IL-6`, `TNF-α`, `NF-κB`, `HbA1c`, `CD4+`) and the dotted abbreviations
  that normalisation leaves alone (`e.g.`, `a.c.`, `Dr.`);
- the vocabulary is cased: `HER2` the gene is not `her`, `MS` is not `Ms.`.

Units are whitespace-free by design: keras-hub reads a saved vocabulary back with
`line.rstrip()`, so a WordPiece token that ends in a space (which a unit containing a
space makes the vocabulary trainer emit) would not survive a saved preset.

Patterns use only what Python `re` and RE2 treat alike: `\\b` only next to ASCII
characters, no `\\s` (RE2's excludes the no-break space that clinical text is full of),
and explicit spaces instead.
"""

from __future__ import annotations

from pathlib import Path

from ssl_domains.api import Rule, TextDomain

DATA = Path(__file__).parent / "data"

# --- redaction -------------------------------------------------------------------------------

_SP = "[ \u00a0\u202f]"  # a space, a no-break space or a narrow no-break space
_SEP = "[ .\u00a0\u202f-]"  # what separates the digit groups of a phone number
_UP = "A-ZÀ-ÖØ-Þ"  # Latin-1 letters, so that Núñez and Ødegaard are names too
_LO = "a-zß-öø-ÿ"
# One name word: Maria, O'Brien, McAllister, Lindqvist-Berg, Núñez.
_PART = rf"[{_UP}](?:['’][{_UP}])?[{_LO}]+(?:[{_UP}][{_LO}]+)?"
_WORD = rf"{_PART}(?:-{_PART})?"
_PARTICLE = r"(?:de|del|della|der|den|da|di|du|la|le|van|von|ten|ter|bin|al)"
# A full name: up to three name words, particles and one middle initial ("Anneke de Vries").
NAME = (
    rf"(?:{_PARTICLE}{_SP})*{_WORD}(?:{_SP}[{_UP}]\.)?"
    rf"(?:{_SP}(?:{_PARTICLE}{_SP})*{_WORD}){{0,2}}"
)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t|tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
DATE = (
    rf"(?:\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[-.]\d{{1,2}}[-.]\d{{4}}"
    rf"|{_MONTH}\.?{_SP}\d{{1,2}},?{_SP}\d{{4}}|\d{{1,2}}{_SP}{_MONTH}\.?{_SP}\d{{4}})\b"
)


def redaction_rules() -> list[Rule]:
    """Patient identifiers to remove before anything is trained.

    Email addresses go first (their digits are no phone number), then labelled numbers
    (an MRN or a date of birth is never mistaken for a phone number), then phone numbers
    by shape, then names by context. Each rule keeps the
    label it keyed on and is idempotent: its placeholder never matches it again, so
    the same rules can run once more inside the exported model.
    """
    return [
        Rule("email", r"\b[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b", "[EMAIL]"),
        Rule(
            "mrn",
            rf"\b(MRN|MR#|[Mm]edical{_SP}[Rr]ecord(?:{_SP}[Nn]umber|{_SP}[Nn]o\.?)?)"
            rf"({_SP}*#?:?{_SP}*)\d(?:-?\d){{5,11}}\b",
            r"\1\2[MRN]",
        ),
        Rule(
            "dob",
            rf"\b(DOB|D\.O\.B\.?|[Dd]ate{_SP}of{_SP}[Bb]irth|[Bb]irth{_SP}?[Dd]ate|born(?:{_SP}on)?)"
            rf"({_SP}*:?{_SP}*){DATE}",
            r"\1\2[DOB]",
        ),
        # (617) 555-0142, 617-555-0142, 617.555.0142, +1 617 555 0142.
        Rule(
            "phone",
            rf"(?:\+1{_SEP}?)?(?:\(\d{{3}}\){_SP}?|\b\d{{3}}{_SEP})\d{{3}}{_SEP}\d{{4}}\b",
            "[PHONE]",
        ),
        Rule(
            "patient",
            rf"\b(Patient{_SP}[Nn]ame|Patient|PATIENT|Pt|Name|NAME)({_SP}*:{_SP}*){NAME}",
            r"\1\2[PATIENT]",
        ),
        Rule("patient", rf"\b(Mr|Mrs|Ms|Miss|Mx)(\.?{_SP}+){NAME}", r"\1\2[PATIENT]"),
    ]


# --- normalisation ---------------------------------------------------------------------------

# Unit spellings after a number, and the one form each becomes (glued to the number).
_UNITS = {
    "mg": r"milligrams?|mgs?",
    "mcg": r"micrograms?|mcg|µg|μg|ug",
    "kg": r"kilograms?|kgs?",
    "g": r"grams?|g",
    "mL": r"milliliters?|millilitres?|mL|ml|ML|cc",
    "mmol": r"mmol",
    "mEq": r"mEq|meq",
    "ng": r"ng",
    "pg": r"pg",
    "mmHg": r"mm ?Hg|mmhg",
}
_MASS = r"(?:mg|mcg|g|kg|mL|mmol|mEq|ng|pg)"  # canonical units that take a "per" denominator
_DENOMINATORS = {
    "kg": r"kg\b",
    "m2": r"m2\b|m²",
    "dL": r"(?:dL|dl|deciliter)\b",
    "mL": r"(?:mL|ml)\b",
    "L": r"(?:L|l|liter|litre)\b",
    "min": r"(?:min|minute)\b",
    "h": r"(?:h|hr|hour)\b",
    "day": r"(?:day|d)\b",
}
# Frequencies and routes: the dotted and lower-case forms that are never English words.
_ABBREVIATIONS = {
    "BID": r"\bb\.i\.d\.?|\bb\.d\.",
    "TID": r"\bt\.i\.d\.?|\bt\.d\.s\.|\btid\b",
    "QID": r"\bq\.i\.d\.?|\bqid\b",
    "QHS": r"\bq\.h\.s\.?|\bqhs\b",
    "QD": r"\bq\.d\.?|\bqd\b",
    "PRN": r"\bp\.r\.n\.?|\bprn\b",
    "PO": r"\bp\.o\.?|\bper os\b",
    "IV": r"\bi\.v\.",
    "IM": r"\bi\.m\.",
}
# `bid` (a bid to) and `po` are English too: rewritten only right after a dose or route.
_DOSE_CONTEXT = (
    r"(\d(?:mg|mcg|g|mL)|\bPO|\bIV|\bIM|\bSC|\bmouth|\btablets?|\bcapsules?|\bpuffs?|\bunits?)"
)
_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "kappa": "κ"}


def normalization_rules() -> list[Rule]:
    """Canonical spellings of quantities, dosing abbreviations and protein names."""
    rules = [
        Rule("space", "[\u00a0\u2009\u202f]", " "),
        Rule("hba1c", r"\b(?:Hb ?A1[cC]|Hgb ?A1[cC]|[Hh]emoglobin A1[cC]|A1[cC])\b", "HbA1c"),
    ]
    rules += [
        Rule("unit", rf"(\d) ?(?:{spellings})\b", rf"\1{unit}")
        for unit, spellings in _UNITS.items()
    ]
    rules += [
        Rule("unit", r"(\d) ?(?:°|º|deg\.?|degrees?) ?([CF])\b", r"\1°\2"),
        Rule("unit", r"(\d) ?(?:%|percent\b|per cent\b)", r"\1%"),
    ]
    rules += [
        Rule("per_unit", rf"(\d{_MASS}) ?(?:/|per) ?(?:{spellings})", rf"\1/{unit}")
        for unit, spellings in _DENOMINATORS.items()
    ]
    rules.append(Rule("blood_pressure", r"\b(\d{2,3}) ?/ ?(\d{2,3}mmHg)", r"\1/\2"))
    rules += [Rule("abbreviation", pattern, canon) for canon, pattern in _ABBREVIATIONS.items()]
    rules += [
        Rule("abbreviation", rf"{_DOSE_CONTEXT} po\b", r"\1 PO"),  # before bid: "500mg po bid"
        Rule("abbreviation", rf"{_DOSE_CONTEXT} bid\b", r"\1 BID"),
    ]
    for word, letter in _GREEK.items():
        spelled = f"(?:{word}|{word.capitalize()})"
        rules += [
            # IL-1 beta -> IL-1β, HIF-1 alpha -> HIF-1α: no hyphen after a digit.
            Rule(
                "greek",
                rf"\b([A-Z][A-Za-z0-9-]*[0-9])[- ]?{spelled}([A-Z0-9]?)\b",
                rf"\1{letter}\2",
            ),
            # TNF alpha -> TNF-α, NF-kappaB -> NF-κB, TGF-beta1 -> TGF-β1.
            Rule("greek", rf"\b([A-Z]{{2,6}})[- ]?{spelled}([A-Z0-9]?)\b", rf"\1-{letter}\2"),
        ]
    rules.append(Rule("greek", r"\b([A-Z]{2,6})([αβγκ])", r"\1-\2"))  # TNFα -> TNF-α
    return rules


# --- units kept whole by tokenisation (applied to normalised text) ---------------------------

_G = "αβγδκ"
BLOOD_PRESSURE = r"\b\d{2,3}/\d{2,3}mmHg"
QUANTITY = (
    r"\b\d[\d,]*(?:\.\d+)?(?:mcg|mg|mL|mmol|mEq|mmHg|ng|pg|kg|g|%|°[CF])"
    r"(?:/(?:kg|m2|mL|dL|L|min|h|day))*"
)
# A symbol with a digit or Greek letter (BRCA1, HbA1c, CYP2C19, CD4+, TNFα), or caps joined
# by hyphens to caps, digits or Greek (IL-6, TNF-α, NF-κB, PD-L1, SARS-CoV-2, HIF-1α).
GENE = (
    rf"\b[A-Z][A-Za-z]*[A-Z]-[A-Z0-9{_G}][A-Za-z0-9{_G}]*(?:-[A-Z0-9{_G}][A-Za-z0-9{_G}]*)*\+?"
    rf"|\b[A-Z][A-Za-z]*[0-9{_G}][A-Za-z0-9{_G}]*(?:-[A-Z0-9{_G}][A-Za-z0-9{_G}]*)*\+?"
    r"|\bp[0-9]{2}\b|\b[0-9]-[A-Z]{2,4}\b"
)
# A locant, a hyphen and a chemical word (N-acetylcysteine, 5-fluorouracil, 1,25-dihydroxy-
# vitamin); the suffix list keeps "3-year" and "12-lead" out.
CHEMICAL = (
    r"\b(?:\d+(?:,\d+)*|[NOS](?:,[NOS])*)-(?:[a-z]+-)*[a-z]*"
    r"(?:ine|ol|ic|yl|ide|ate|one|il|in|ane|ene|ose|oid|ium)\b"
)
DOTTED = r"\b(?:[A-Za-z]\.){2,}|\b(?:Dr|Mr|Mrs|Ms|vs|approx|Fig)\."


class BiomedicalDomain(TextDomain):
    """Biomedical text: cased WordPiece, canonical doses, redacted patient identifiers.

    Examples:

    ```python
    from collections import Counter
    from ssl_domains.plugins.biomedical import BiomedicalDomain

    domain = BiomedicalDomain()
    domain.clean("Patient: Maria Gonzalez, MRN: 00482913, seen 2024-05-12.", Counter())
    # 'Patient: [PATIENT], MRN: [MRN], seen 2024-05-12.'
    ```
    """

    name = "biomedical"
    description = "Clinical notes, PubMed-style abstracts, drug labels and lab reports."
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
        """`context_labels.csv`: results favouring the drug or its comparator, told with
        the same words in both classes (`labels.csv`: the older abstract-section set)."""
        return DATA / "context_labels.csv"

    def redactions(self) -> list[Rule]:
        return redaction_rules()

    def normalizations(self) -> list[Rule]:
        return normalization_rules()

    def units(self) -> list[str]:
        return [BLOOD_PRESSURE, QUANTITY, GENE, CHEMICAL, DOTTED]
