"""The biomedical domain: patient identifiers redacted, doses canonical and kept whole."""

import importlib.util
import sys
from collections import Counter

import pytest
import tensorflow as tf
from ssl_domains.plugins.biomedical import DATA, BiomedicalDomain

from ssl_domains.text.encoder import domain_normalizer, domain_units
from ssl_domains.text.rules import apply_rules
from ssl_domains.text.tokenizer import DomainTokenizer

DOMAIN = BiomedicalDomain()
NORMALIZER = domain_normalizer(DOMAIN)


def normalize(text: str) -> str:
    return NORMALIZER(tf.constant([text])).numpy()[0].decode()


def words(text: str) -> list[str]:
    tokenizer = DomainTokenizer(lowercase=DOMAIN.lowercase, units=domain_units(DOMAIN))
    return [w.decode() for w in tokenizer.pretokenize([normalize(text)]).to_list()[0]]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generator's own run: the files it writes and what it planted."""
    path = DATA / "generate.py"
    spec = importlib.util.spec_from_file_location("biomedical_generate", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
        out = tmp_path_factory.mktemp("biomedical")
        return out, module.main(out)
    finally:
        del sys.modules[spec.name]


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("metformin 500 mg p.o. b.i.d.", "metformin 500mg PO BID"),
        ("metformin 500mg PO BID", "metformin 500mg PO BID"),
        ("metformin 500 milligrams po bid", "metformin 500mg PO BID"),
        ("levothyroxine 75 µg q.d.", "levothyroxine 75mcg QD"),
        ("levothyroxine 75 μg qd", "levothyroxine 75mcg QD"),
        ("levothyroxine 75 ug daily", "levothyroxine 75mcg daily"),
        ("cephalexin 500 mg t.i.d.", "cephalexin 500mg TID"),
        ("albuterol 2 puffs q4h p.r.n. SOB", "albuterol 2 puffs q4h PRN SOB"),
        ("atorvastatin 40 mg q.h.s.", "atorvastatin 40mg QHS"),
        ("ceftriaxone 1 gram i.v. q24h", "ceftriaxone 1g IV q24h"),
        ("vancomycin 15 mg per kg IV", "vancomycin 15mg/kg IV"),
        ("N-acetylcysteine 150 mg / kg", "N-acetylcysteine 150mg/kg"),
        ("acetaminophen level 186 µg/ml", "acetaminophen level 186mcg/mL"),
        ("reconstitute with 10 ml", "reconstitute with 10mL"),
        ("5-fluorouracil 400 mg/m²", "5-fluorouracil 400mg/m2"),
        ("BP 120/80 mm Hg", "BP 120/80mmHg"),
        ("BP 142 / 88 mmHg", "BP 142/88mmHg"),
        ("T 37.8 °C", "T 37.8°C"),
        ("T 100.4 degrees F", "T 100.4°F"),
        ("HbA1c 7.2 %", "HbA1c 7.2%"),
        ("hemoglobin A1c 8 percent", "HbA1c 8%"),
        ("Cr 1.1 mg/dl, K 4.2 mmol/l", "Cr 1.1mg/dL, K 4.2mmol/L"),
        ("TNF alpha and TNFα", "TNF-α and TNF-α"),
        ("IL-1 beta, NF-kappaB, IFN-gamma", "IL-1β, NF-κB, IFN-γ"),
        ("lisinopril\u00a010\u00a0mg", "lisinopril 10mg"),
    ],
)
def test_normalisation_puts_doses_units_and_abbreviations_in_one_form(raw, canonical):
    assert normalize(raw) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "We made a bid to reduce readmissions.",
        "The po valley cohort was small.",
        "Grade 3 events occurred.",
        "Cronbach's alpha was 0.82 for the scale.",
    ],
)
def test_normalisation_leaves_english_words_alone(text):
    assert normalize(text) == text


def test_units_survive_tokenisation_as_whole_words():
    found = words(
        "Metformin 500 mg p.o. b.i.d.; vancomycin 2.5 mg/kg; BP 120/80 mmHg, T 37.8 °C, "
        "HbA1c 7.2%, level 5 µg/mL. BRCA1, TP53, IL-6, HER2, TNF-alpha, NF-κB and CD4+ cells; "
        "N-acetylcysteine, 2-acetoxybenzoic acid and 5-fluorouracil, e.g. per Dr. Adeyemi."
    )
    for unit in (
        "500mg",
        "2.5mg/kg",
        "120/80mmHg",
        "37.8°C",
        "7.2%",
        "5mcg/mL",
        "BRCA1",
        "TP53",
        "IL-6",
        "HER2",
        "TNF-α",
        "NF-κB",
        "CD4+",
        "N-acetylcysteine",
        "2-acetoxybenzoic",
        "5-fluorouracil",
        "e.g.",
        "Dr.",
        "PO",
        "BID",
    ):
        assert unit in found, unit
    # Plain BERT pre-tokenisation would have shredded them.
    plain = DomainTokenizer(lowercase=False).pretokenize([normalize("IL-6 at 2.5 mg/kg")])
    assert b"IL-6" not in plain.to_list()[0]


def test_ordinary_hyphenated_words_are_not_kept_as_units():
    found = words("a 62-year-old man with a 12-lead ECG and 3-day course")
    assert "62-year-old" not in found and "12-lead" not in found and "3-day" not in found


@pytest.mark.parametrize(
    "text, kinds",
    [
        ("Patient: Maria Gonzalez | MRN: 00482913", {"patient": 1, "mrn": 1}),
        ("Patient name: José Núñez; DOB: 03/14/1962", {"patient": 1, "dob": 1}),
        ("Name: Anneke de Vries. MRN 4471902.", {"patient": 1, "mrn": 1}),
        ("Mr. Okafor was seen; Mrs. Lindqvist declined.", {"patient": 2}),
        ("Ms. O'Brien-McAllister and Miss Haddad were called.", {"patient": 2}),
        ("DOB 1962-03-14, Date of birth: March 14, 1962", {"dob": 2}),
        ("Call (617) 555-0142 or 617-555-0142.", {"phone": 2}),
        ("Daughter: +1 617 555 0142; office 617.555.0142", {"phone": 2}),
        ("MRN#:\u00a012345678, DOB:\u00a003/14/1962", {"mrn": 1, "dob": 1}),
        ("Portal: maria.gonzalez62@gmail.com; son J.Okafor@nhs.net", {"email": 2}),
    ],
)
def test_patient_identifiers_are_redacted(text, kinds):
    counts = Counter()
    cleaned = DOMAIN.clean(text, counts)
    assert counts == Counter(kinds)
    for kind in kinds:
        assert f"[{kind.upper()}]" in cleaned
    assert not any(ch.isdigit() for ch in cleaned), cleaned
    for name in ("Gonzalez", "Núñez", "Vries", "Okafor", "Lindqvist", "McAllister", "Haddad"):
        assert name not in cleaned


def test_redaction_keeps_labels_and_is_idempotent():
    once = DOMAIN.clean("Patient: Maria Gonzalez, MRN: 00482913, DOB: 03/14/1962", Counter())
    assert once == "Patient: [PATIENT], MRN: [MRN], DOB: [DOB]"
    counts = Counter()
    assert DOMAIN.clean(once, counts) == once and not counts


def test_redaction_leaves_clinical_numbers_dates_and_clinicians_alone():
    text = (
        "Date of service: 03/14/2024. Seen by Dr. Halvorsen. BP 142/88 mmHg, HR 96, "
        "T 37.8 °C, SpO2 91%, HbA1c 7.2%, WBC 14.2 x10^9/L, metformin 500 mg b.i.d., "
        "2.5 mg/kg IV q12h; follow-up 2024-05-12. NDC 0409-4888-01. Enrolled 2015-2021 "
        "(n = 412; P < .001; 95% CI, 0.61-0.85). CrCl 30-89 mL/min; started in 1998."
    )
    assert DOMAIN.clean(text, Counter()) == text


def test_placeholders_are_kept_whole_by_tokenisation():
    assert DOMAIN.placeholders() == ["[DOB]", "[EMAIL]", "[MRN]", "[PATIENT]", "[PHONE]"]
    found = words("Patient: [PATIENT] MRN: [MRN] DOB: [DOB] phone [PHONE]")
    assert {"[PATIENT]", "[MRN]", "[DOB]", "[PHONE]"} <= set(found)


def test_sample_corpus_is_what_the_generator_writes(generated):
    out, summary = generated
    assert (out / "corpus.txt").read_bytes() == (DATA / "corpus.txt").read_bytes()
    assert (out / "labels.csv").read_bytes() == (DATA / "labels.csv").read_bytes()
    assert 300_000 <= summary["corpus_bytes"] <= 400_000


def test_redaction_finds_every_planted_identifier_and_nothing_else(generated):
    _, summary = generated
    counts = Counter()
    lines = (DATA / "corpus.txt").read_text().splitlines()
    cleaned = "\n".join(DOMAIN.clean(line, counts) for line in lines)
    assert counts == Counter(summary["planted"])
    assert all(text not in cleaned for _, text in summary["identifiers"])


def test_labels_are_balanced_abstract_sections():
    import csv

    with open(DATA / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = Counter(row["label"] for row in rows)
    assert set(labels) == {"background", "methods", "results", "conclusions"}
    assert 400 <= len(rows) <= 600 and max(labels.values()) - min(labels.values()) <= 5


def test_python_and_tensorflow_rules_agree_on_the_whole_sample_corpus():
    lines = (DATA / "corpus.txt").read_text().splitlines()
    rules = DOMAIN.redactions() + DOMAIN.normalizations()
    in_graph = NORMALIZER(tf.constant(lines)).numpy()
    in_python = [apply_rules(rules, line) for line in lines]
    assert [x.decode() for x in in_graph] == in_python
