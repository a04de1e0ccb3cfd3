"""Generate the embedded biomedical sample corpus and abstract-section set for ``ssl-domains``.

``ssl-domains pretrain --domain biomedical`` falls back on these files when no corpus is given:

* ``corpus.txt``: one synthetic document per line, mixing clinical notes (admission notes,
  clinic follow-ups, discharge summaries), PubMed-style structured abstracts, drug-label
  excerpts and laboratory reports. Doses, units, frequencies, vital signs and protein names
  appear in varied surface forms for the normaliser (``500 mg``/``500mg``/``500 milligrams``,
  ``µg``/``ug``/``mcg``, ``b.i.d.``/``BID``/``bid``, ``TNF-alpha``/``TNFα``). One patient
  document (note or lab report) in twenty carries invented patient identifiers (name, medical
  record number, date of birth, phone number) where real notes put them, for the redactor.
* ``labels.csv``: single abstract sentences labelled with the section they belong to,
  ``background``, ``methods``, ``results`` or ``conclusions`` (``text,label``).
* ``context_labels.csv``: results sentences labelled ``favors_drug`` or ``favors_comparator``
  whose words are the same in both classes: the label is in how they are put together (see
  ``context_sentence``).

The universe is fixed so that a small masked language model can learn its regularities:
each condition has its abbreviation, its home medications at their usual doses, routes and
frequencies, the labs it moves and its acute presentations; each investigational compound
has one target gene or protein, one indication and one primary endpoint. The generic drugs
of the clinical notes are real and dosed as commonly prescribed so that notes read
consistently; the investigational compounds, every trial and result, every patient,
clinician and identifier are invented. Nothing here is medical advice. Standard library
only; a given seed always produces byte-identical output.

Usage: python generate.py [--out-dir DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import re
from dataclasses import dataclass
from pathlib import Path

TARGET_CORPUS_BYTES = 360_000
PLANT_EVERY = 20
LABEL_ROWS_PER_CLASS = 125
ALTERNATIVES = re.compile(r"\[([^\[\]]*)\]")

# --- the universe -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Med:
    """A medication as ordered: doses in `unit`, a route and a frequency key."""

    name: str
    doses: tuple[float, ...]
    unit: str
    route: str
    freq: str


# Chronic conditions: abbreviation -> (name, home medications).
CHRONIC: dict[str, tuple[str, tuple[Med, ...]]] = {
    "HTN": (
        "hypertension",
        (
            Med("lisinopril", (10, 20, 40), "mg", "PO", "QD"),
            Med("amlodipine", (5, 10), "mg", "PO", "QD"),
            Med("hydrochlorothiazide", (12.5, 25), "mg", "PO", "QD"),
        ),
    ),
    "DM2": (
        "type 2 diabetes mellitus",
        (
            Med("metformin", (500, 850, 1000), "mg", "PO", "BID"),
            Med("insulin glargine", (10, 14, 20, 26), "units", "SC", "QHS"),
        ),
    ),
    "HLD": ("hyperlipidemia", (Med("atorvastatin", (20, 40, 80), "mg", "PO", "QHS"),)),
    "CAD": (
        "coronary artery disease",
        (
            Med("aspirin", (81,), "mg", "PO", "QD"),
            Med("clopidogrel", (75,), "mg", "PO", "QD"),
        ),
    ),
    "CHF": (
        "heart failure with reduced ejection fraction",
        (
            Med("furosemide", (20, 40), "mg", "PO", "QD"),
            Med("metoprolol succinate", (25, 50, 100), "mg", "PO", "QD"),
        ),
    ),
    "AFib": (
        "atrial fibrillation",
        (
            Med("apixaban", (5,), "mg", "PO", "BID"),
            Med("diltiazem", (120, 180), "mg", "PO", "QD"),
        ),
    ),
    "COPD": (
        "chronic obstructive pulmonary disease",
        (
            Med("tiotropium", (18,), "mcg", "INH", "QD"),
            Med("albuterol", (90,), "puffs", "INH", "Q4H_PRN"),
        ),
    ),
    "hypothyroidism": (
        "hypothyroidism",
        (Med("levothyroxine", (50, 75, 88, 100, 125), "mcg", "PO", "QD"),),
    ),
    "GERD": ("gastroesophageal reflux disease", (Med("omeprazole", (20, 40), "mg", "PO", "QD"),)),
    "MDD": ("major depressive disorder", (Med("sertraline", (50, 100), "mg", "PO", "QD"),)),
    "RA": (
        "rheumatoid arthritis",
        (
            Med("methotrexate", (10, 15, 20), "mg", "PO", "WEEKLY"),
            Med("folic acid", (1,), "mg", "PO", "QD"),
        ),
    ),
    "CKD": ("chronic kidney disease stage 3", ()),
}


@dataclass(frozen=True)
class Acute:
    """An acute presentation: what the patient reports, finds, and what is started."""

    name: str
    complaints: tuple[str, ...]
    findings: tuple[str, ...]
    fever: bool
    hr: tuple[int, int]
    sbp: tuple[int, int]
    spo2: tuple[int, int]
    labs: dict[str, tuple[float, float]]
    imaging: str
    treatment: tuple[Med, ...]
    plan: str
    likely: tuple[str, ...]  # chronic conditions that make it likelier


ACUTE: dict[str, Acute] = {
    "cap": Acute(
        "community-acquired pneumonia",
        ("productive cough and fevers", "cough, fevers and SOB", "pleuritic chest pain and cough"),
        ("crackles at the right base", "bronchial breath sounds over the right lower lobe"),
        True,
        (96, 118),
        (104, 138),
        (87, 93),
        {"WBC": (12.5, 19.5), "CRP": (60, 210), "procalcitonin": (0.6, 4.5)},
        "CXR: right lower lobe consolidation.",
        (
            Med("ceftriaxone", (1,), "g", "IV", "Q24H"),
            Med("azithromycin", (500,), "mg", "PO", "QD"),
        ),
        "supplemental O2 to keep SpO2 above 92%; repeat CXR in 6 weeks",
        ("COPD", "DM2", "CHF"),
    ),
    "chf": Acute(
        "acute decompensated heart failure",
        ("worsening SOB and leg swelling", "orthopnea and a 3 kg weight gain", "DOE and edema"),
        ("bibasilar crackles and 2+ pitting edema", "JVD to the angle of the jaw"),
        False,
        (88, 112),
        (130, 168),
        (88, 94),
        {"BNP": (850, 2600), "Cr": (1.2, 1.9), "Na": (129, 135)},
        "CXR: pulmonary vascular congestion and small bilateral effusions.",
        (Med("furosemide", (40, 80), "mg", "IV", "BID"),),
        "strict I/O, daily weights, 2 g sodium diet, fluid restriction",
        ("CHF", "CAD", "HTN", "AFib"),
    ),
    "copd": Acute(
        "COPD exacerbation",
        ("increased dyspnea and sputum", "wheezing and SOB", "cough with purulent sputum"),
        ("diffuse expiratory wheezes", "prolonged expiratory phase and poor air movement"),
        False,
        (92, 116),
        (118, 150),
        (86, 91),
        {"WBC": (10.5, 14.5), "pCO2": (46, 58)},
        "CXR: hyperinflation without consolidation.",
        (
            Med("prednisone", (40,), "mg", "PO", "QD"),
            Med("albuterol", (2.5,), "mg", "NEB", "Q4H_PRN"),
        ),
        "prednisone for 5 days total; titrate O2 to SpO2 88-92%",
        ("COPD",),
    ),
    "uti": Acute(
        "acute pyelonephritis",
        ("dysuria, flank pain and fevers", "urinary frequency and right flank pain"),
        ("right CVA tenderness", "suprapubic and left CVA tenderness"),
        True,
        (98, 120),
        (100, 132),
        (95, 99),
        {"WBC": (13.0, 21.0), "lactate": (1.4, 3.2), "Cr": (1.0, 1.6)},
        "Renal ultrasound: no hydronephrosis.",
        (Med("ceftriaxone", (1,), "g", "IV", "Q24H"),),
        "follow urine culture and narrow antibiotics; transition to oral therapy when afebrile",
        ("DM2", "CKD"),
    ),
    "cellulitis": Acute(
        "left lower extremity cellulitis",
        ("a red, warm, painful left shin", "spreading redness of the left leg"),
        (
            "a 12 cm area of erythema and warmth over the left shin",
            "tender erythema, no fluctuance",
        ),
        True,
        (90, 110),
        (110, 140),
        (95, 99),
        {"WBC": (11.5, 16.5), "CRP": (40, 150)},
        "Venous duplex: no DVT.",
        (
            Med("cephalexin", (500,), "mg", "PO", "QID"),
            Med("vancomycin", (15,), "mg/kg", "IV", "Q12H"),
        ),
        "mark the borders, elevate the leg, reassess in 48 hours",
        ("DM2",),
    ),
    "afib": Acute(
        "atrial fibrillation with rapid ventricular response",
        ("palpitations and lightheadedness", "racing heartbeat and fatigue"),
        ("an irregularly irregular tachycardia", "irregular rhythm, no murmur"),
        False,
        (124, 158),
        (104, 142),
        (93, 98),
        {"TSH": (0.5, 3.5), "troponin": (6, 22), "K": (3.4, 4.6)},
        "ECG: atrial fibrillation with RVR, no ST changes.",
        (
            Med("metoprolol tartrate", (25,), "mg", "PO", "Q6H"),
            Med("apixaban", (5,), "mg", "PO", "BID"),
        ),
        "rate control to HR below 110; CHA2DS2-VASc reviewed, anticoagulation started",
        ("AFib", "HTN", "CHF"),
    ),
    "hyperglycemia": Acute(
        "hyperglycemia with uncontrolled DM2",
        ("polyuria, polydipsia and blurred vision", "thirst, fatigue and weight loss"),
        ("dry mucous membranes", "mild volume depletion"),
        False,
        (86, 108),
        (118, 150),
        (96, 99),
        {"glucose": (310, 460), "HbA1c": (9.4, 12.8), "HCO3": (20, 25)},
        "",
        (Med("insulin glargine", (10, 14, 18), "units", "SC", "QHS"),),
        "diabetes education, glucose checks a.c. and h.s., endocrinology referral",
        ("DM2",),
    ),
    "htn": Acute(
        "hypertensive urgency",
        ("a severe headache", "headache and blurred vision"),
        ("no papilledema, normal neurologic exam", "no focal deficits"),
        False,
        (76, 98),
        (182, 206),
        (96, 99),
        {"Cr": (0.9, 1.4), "troponin": (3, 12)},
        "CT head: no acute intracranial process.",
        (Med("amlodipine", (10,), "mg", "PO", "QD"),),
        "lower BP gradually over 24-48 hours; home BP log",
        ("HTN", "CKD"),
    ),
    "apap": Acute(
        "acetaminophen overdose",
        ("nausea after an intentional ingestion", "abdominal pain after taking 30 tablets"),
        ("mild right upper quadrant tenderness", "no jaundice, mild epigastric tenderness"),
        False,
        (88, 112),
        (110, 138),
        (96, 99),
        {"acetaminophen": (160, 290), "ALT": (45, 420), "INR": (1.0, 1.6)},
        "",
        (Med("N-acetylcysteine", (150,), "mg/kg", "IV", "LOAD"),),
        "poison center consulted; psychiatry evaluation once medically cleared",
        ("MDD",),
    ),
    "dvt": Acute(
        "left femoral DVT",
        ("left calf swelling and pain", "a swollen, tender left leg"),
        ("left calf circumference 4 cm greater than right", "tender left popliteal fossa"),
        False,
        (84, 104),
        (116, 142),
        (95, 99),
        {"D-dimer": (1.8, 6.5), "Plt": (160, 320)},
        "Venous duplex: occlusive thrombus in the left femoral vein.",
        (Med("enoxaparin", (1,), "mg/kg", "SC", "Q12H"),),
        "transition to apixaban for at least 3 months",
        ("RA",),
    ),
}

# name -> (unit, low, high, decimals, surface names); reference ranges are adult ranges.
LABS: dict[str, tuple[str, float, float, int, tuple[str, ...]]] = {
    "WBC": ("x10^9/L", 4.0, 11.0, 1, ("WBC",)),
    "Hgb": ("g/dL", 12.0, 16.0, 1, ("Hgb", "hemoglobin")),
    "Plt": ("x10^9/L", 150, 400, 0, ("Plt", "platelets")),
    "Na": ("mmol/L", 135, 145, 0, ("Na", "sodium")),
    "K": ("mmol/L", 3.5, 5.0, 1, ("K", "potassium")),
    "HCO3": ("mmol/L", 22, 29, 0, ("HCO3", "bicarbonate")),
    "BUN": ("mg/dL", 7, 20, 0, ("BUN",)),
    "Cr": ("mg/dL", 0.6, 1.2, 1, ("Cr", "creatinine")),
    "glucose": ("mg/dL", 70, 99, 0, ("glucose",)),
    "HbA1c": ("%", 4.0, 5.6, 1, ("HbA1c", "A1c", "hemoglobin A1c", "HbA1C")),
    "TSH": ("mIU/L", 0.4, 4.0, 2, ("TSH",)),
    "ALT": ("U/L", 7, 56, 0, ("ALT",)),
    "CRP": ("mg/L", 0.3, 5.0, 1, ("CRP",)),
    "BNP": ("pg/mL", 10, 100, 0, ("BNP",)),
    "troponin": ("ng/L", 2, 14, 0, ("hs-troponin", "troponin")),
    "lactate": ("mmol/L", 0.5, 2.0, 1, ("lactate",)),
    "INR": ("", 0.8, 1.2, 1, ("INR",)),
    "LDL-C": ("mg/dL", 50, 100, 0, ("LDL-C",)),
    "procalcitonin": ("ng/mL", 0.02, 0.1, 2, ("procalcitonin",)),
    "acetaminophen": ("mcg/mL", 10, 30, 0, ("acetaminophen level", "APAP level")),
    "pCO2": ("mmHg", 35, 45, 0, ("pCO2",)),
    "D-dimer": ("mg/L", 0.1, 0.5, 1, ("D-dimer",)),
}
# What a chronic condition does to its labs at a clinic visit.
CHRONIC_LABS = {
    "DM2": {"HbA1c": (6.4, 9.8), "glucose": (118, 240)},
    "CKD": {"Cr": (1.4, 2.3), "K": (4.4, 5.4)},
    "HLD": {"LDL-C": (88, 172)},
    "hypothyroidism": {"TSH": (0.8, 7.9)},
    "CHF": {"BNP": (180, 620)},
}
PANELS = {
    "basic metabolic panel": ("Na", "K", "HCO3", "BUN", "Cr", "glucose"),
    "complete blood count": ("WBC", "Hgb", "Plt"),
    "lipid panel": ("LDL-C",),
    "thyroid function": ("TSH",),
    "hemoglobin A1c": ("HbA1c", "glucose"),
    "hepatic function panel": ("ALT",),
}


@dataclass(frozen=True)
class Agent:
    """An invented investigational compound and the trial programme around it."""

    name: str
    target: str
    kind: str
    disease: str
    short: str
    endpoint: str
    dose: str
    comparator: str
    biomarker: str
    outcome: str  # what the endpoint is a rate or time of


AGENTS = (
    Agent("velarotinib", "EGFR", "third-generation EGFR tyrosine kinase inhibitor",
          "EGFR-mutant non-small cell lung cancer", "NSCLC", "progression-free survival",
          "80 mg p.o. once daily", "platinum doublet chemotherapy", "TP53 co-mutation", "time"),
    Agent("cordalimab", "IL-6", "monoclonal antibody against IL-6", "rheumatoid arthritis",
          "RA", "ACR50 response at week 24", "4 mg/kg IV every 4 weeks",
          "methotrexate alone", "baseline IL-6 above 10 pg/mL", "rate"),
    Agent("tesoparib", "PARP1", "PARP1-selective inhibitor", "BRCA1- or BRCA2-mutated ovarian "
          "cancer", "ovarian cancer", "progression-free survival", "300 mg PO b.i.d.",
          "placebo maintenance", "germline BRCA1 variants", "time"),
    Agent("mivaglutide", "GLP-1 receptor", "long-acting GLP-1 receptor agonist",
          "type 2 diabetes", "DM2", "change in HbA1c at week 26", "1.5 mg SC once weekly",
          "placebo on top of metformin", "baseline HbA1c above 8.5%", "change"),
    Agent("fendaxumab", "TNF-α", "humanized anti-TNF-alpha antibody", "moderate-to-severe "
          "Crohn disease", "Crohn disease", "clinical remission at week 12",
          "5 mg/kg i.v. at weeks 0, 2 and 6", "6-mercaptopurine", "elevated fecal calprotectin",
          "rate"),
    Agent("zoratuzumab", "HER2", "HER2-directed antibody-drug conjugate",
          "HER2-positive metastatic breast cancer", "breast cancer", "objective response rate",
          "5.4 mg/kg IV every 3 weeks", "trastuzumab plus chemotherapy", "HER2 3+ staining",
          "rate"),
    Agent("orvasertib", "KRAS G12C", "covalent KRAS G12C inhibitor", "KRAS G12C-mutated "
          "colorectal cancer", "CRC", "progression-free survival", "960 mg p.o. q.d.",
          "5-fluorouracil-based chemotherapy", "concurrent TP53 mutation", "time"),
    Agent("lintaplimab", "PD-L1", "anti-PD-L1 antibody", "advanced melanoma", "melanoma",
          "overall survival", "1200 mg IV every 3 weeks", "investigator's choice chemotherapy",
          "PD-L1 expression of 1% or more", "time"),
    Agent("ravecitinib", "JAK1", "oral JAK1 inhibitor", "moderate-to-severe atopic dermatitis",
          "atopic dermatitis", "EASI-75 response at week 16", "15 mg PO daily", "placebo",
          "serum IL-13 above the median", "rate"),
    Agent("prelodistat", "NF-κB", "small-molecule NF-kappaB pathway inhibitor",
          "sepsis-associated acute kidney injury", "AKI", "major adverse kidney events at day 30",
          "2.5 mg/kg IV every 12 hours", "placebo", "IL-1 beta above 15 pg/mL", "rate"),
)  # fmt: skip

FIRST = {
    "F": ("Maria", "Astrid", "Fatima", "Priya", "Anneke", "Leila", "Grace", "Yuki", "Ines",
          "Chiamaka", "Hannah", "Rosa", "Mei", "Sofia"),
    "M": ("Chidi", "Wei", "Sean", "José", "Liam", "Kenji", "Tomasz", "Omar", "Rafael",
          "Dmitri", "Samuel", "Arjun", "Pedro", "Henrik"),
}  # fmt: skip
LAST = ("Gonzalez", "Okafor", "Lindqvist", "Chen", "Haddad", "O'Brien", "Raman", "Núñez",
        "McAllister", "de Vries", "Nakamura", "Kowalski", "Abernathy", "Fairweather",
        "Oyelaran", "Vasquez-Reyes", "Thorsen", "Delacroix")  # fmt: skip
# Clinicians (kept by the redactor) and their specialties; no surname is also a patient's.
DOCTORS = {
    "Adeyemi": "cardiology", "Halvorsen": "pulmonology", "Brandt": "endocrinology",
    "Iyer": "nephrology", "Moreau": "rheumatology", "Castellanos": "infectious diseases",
    "Whitfield": "primary care", "Nakashima": "cardiology", "Petrov": "hospital medicine",
    "Sorensen": "primary care", "Achebe": "psychiatry", "Lindahl": "hematology",
}  # fmt: skip
# Which specialist follows which problem.
FOLLOWS = {
    "HTN": "primary care", "DM2": "endocrinology", "HLD": "primary care", "CAD": "cardiology",
    "CHF": "cardiology", "AFib": "cardiology", "COPD": "pulmonology",
    "hypothyroidism": "endocrinology", "GERD": "primary care", "MDD": "psychiatry",
    "RA": "rheumatology", "CKD": "nephrology",
}  # fmt: skip
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
ALLERGIES = ("NKDA", "NKDA", "penicillin (rash)", "sulfa (hives)", "no known drug allergies")
GENES = ("TP53", "BRCA1", "KRAS", "EGFR", "CYP2C19", "HER2", "BRCA2", "PIK3CA")
PROTEINS = ("IL-6", "TNF-α", "IL-1β", "CRP", "IFN-γ", "TGF-β1", "VEGF-A", "IL-1 beta",
            "TNF-alpha")  # fmt: skip

# --- surface forms ----------------------------------------------------------------------------

UNIT_FORMS = {
    "mg": ((" mg", 6), ("mg", 3), (" milligrams", 1)),
    "mcg": ((" mcg", 4), (" µg", 2), (" μg", 1), ("mcg", 1), (" ug", 1), (" micrograms", 1)),
    "g": ((" g", 6), ("g", 2), (" grams", 1)),
    "units": ((" units", 1),),
    "mg/kg": ((" mg/kg", 5), ("mg/kg", 2), (" mg per kg", 1)),
    "g/dL": ((" g/dL", 5), (" g/dl", 2), ("g/dL", 1)),
    "mg/dL": ((" mg/dL", 5), (" mg/dl", 2), ("mg/dL", 1)),
    "mmol/L": ((" mmol/L", 5), (" mmol/l", 2), ("mmol/L", 1)),
    "mcg/mL": ((" mcg/mL", 3), (" µg/mL", 3), (" ug/ml", 1), (" μg/mL", 1)),
    "pg/mL": ((" pg/mL", 4), (" pg/ml", 1)),
    "ng/mL": ((" ng/mL", 4), (" ng/ml", 1)),
    "mg/L": ((" mg/L", 4), (" mg/l", 1)),
    "ng/L": ((" ng/L", 1),),
    "mmHg": ((" mmHg", 4), (" mm Hg", 3), ("mmHg", 1)),
    "%": (("%", 6), (" %", 2), (" percent", 1)),
}
FREQ_FORMS = {
    "QD": ("daily", "once daily", "q.d.", "QD", "qd", "daily"),
    "BID": ("b.i.d.", "BID", "bid", "twice daily"),
    "TID": ("t.i.d.", "TID", "tid", "three times daily"),
    "QID": ("q.i.d.", "QID", "qid", "four times daily"),
    "QHS": ("q.h.s.", "QHS", "qhs", "at bedtime"),
    "WEEKLY": ("weekly", "once weekly", "every week"),
    "Q6H": ("q6h", "every 6 hours"),
    "Q12H": ("q12h", "every 12 hours"),
    "Q24H": ("q24h", "every 24 hours", "daily"),
    "Q4H_PRN": ("q4h PRN", "q4h p.r.n.", "every 4 hours as needed", "q4h prn"),
    "LOAD": ("over 60 minutes", "as a loading dose over 1 hour"),
}
ROUTE_FORMS = {
    "PO": ("PO", "PO", "p.o.", "po", "by mouth"),
    "IV": ("IV", "IV", "i.v.", "intravenously"),
    "SC": ("SC", "subcutaneously", "SQ"),
    "INH": ("inhaled",),
    "NEB": ("nebulized", "via nebulizer"),
}
# Lower-case `bid` and `qd` are only written right after a dose or a route abbreviation.
SPELLED_ROUTES = ("by mouth", "intravenously", "subcutaneously", "inhaled", "nebulized",
                  "via nebulizer")  # fmt: skip


def num(v: float, dp: int = 1) -> str:
    """A number with at most `dp` decimals, trailing zeros dropped, thousands separators."""
    if dp == 0 or float(v).is_integer():
        return f"{round(v):,}"
    return f"{v:.{dp}f}".rstrip("0").rstrip(".")


def unit(r: random.Random, amount: float, name: str, dp: int = 1) -> str:
    """'500 mg', '500mg', '500 milligrams', '75 µg', ... for one amount."""
    forms = UNIT_FORMS.get(name)
    if forms is None:
        return f"{num(amount, dp)} {name}".rstrip()
    return num(amount, dp) + r.choices([f for f, _ in forms], [w for _, w in forms])[0]


def order(r: random.Random, med: Med, dose: float) -> str:
    """'metformin 500 mg p.o. b.i.d.', 'albuterol 90 mcg/actuation, 2 puffs q4h PRN'."""
    if med.unit == "puffs":
        rt = "inhaled"
        text = f"{med.name} {unit(r, dose, 'mcg', 0)}/actuation, 2 puffs"
    else:
        rt = r.choice(ROUTE_FORMS[med.route])
        text = f"{med.name} {unit(r, dose, med.unit)} {rt}"
    forms = FREQ_FORMS[med.freq]
    if rt in SPELLED_ROUTES:
        forms = tuple(f for f in forms if f not in ("bid", "qd")) or forms
    return f"{text} {r.choice(forms)}"


def temperature(r: random.Random, celsius: float) -> str:
    if r.random() < 0.2:
        return f"{celsius * 9 / 5 + 32:.1f}" + r.choice(("°F", " °F", " degrees F"))
    return f"{celsius:.1f}" + r.choice(("°C", " °C", " °C", " degrees C", " ºC"))


def blood_pressure(r: random.Random, sbp: int) -> str:
    dbp = max(52, min(128, int(sbp * r.uniform(0.52, 0.64))))
    return f"{sbp}/{dbp}" + r.choice(("", " mmHg", " mm Hg", "mmHg", " mmHg"))


def percent(r: random.Random, v: float, dp: int = 1) -> str:
    return unit(r, round(v, dp), "%", dp)


def date_text(r: random.Random, d: dt.date) -> str:
    name = MONTHS[d.month - 1]
    return r.choice(
        (f"{d:%m/%d/%Y}", d.isoformat(), f"{name} {d.day}, {d.year}", f"{d.day} {name} {d.year}")
    )


def fill(r: random.Random, template: str, slots: dict[str, object]) -> str:
    """Pick one option from each (possibly nested) "[a|b|c]" group, then substitute {slots}."""
    while ALTERNATIVES.search(template):
        template = ALTERNATIVES.sub(lambda m: r.choice(m.group(1).split("|")), template)
    return template.format(**slots)


def cap(s: str) -> str:
    return s[0].upper() + s[1:]


def a_an(noun: str) -> str:
    return ("an " if noun[0].lower() in "aeiou" else "a ") + noun


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def stop(text: str) -> str:
    """End `text` with a period unless it already ends with one (`b.i.d.`)."""
    return text if text.endswith((".", "?", "!")) else text + "."


def sentences(parts: list[str]) -> str:
    """Join parts into one line, each ending with a period."""
    return " ".join(stop(p) for p in parts if p)


# --- patients and planted identifiers ---------------------------------------------------------


@dataclass
class Patient:
    sex: str
    age: int
    chronic: list[str]
    meds: list[tuple[Med, float]]  # home medications at this patient's doses
    first: str
    last: str
    dob: dt.date
    seen: dt.date

    def dose(self, name: str) -> tuple[Med, float] | None:
        return next(((m, d) for m, d in self.meds if m.name == name), None)


class Planter:
    """Invented identifiers, placed where real documents carry them, and counted by kind.

    `counts` is keyed by the name of the redaction rule that must find each identifier.
    """

    def __init__(self, r: random.Random) -> None:
        self.r = r
        self.counts = {"patient": 0, "mrn": 0, "dob": 0, "phone": 0}
        self.planted: list[tuple[str, str]] = []  # (kind, surface text)

    def _add(self, kind: str, text: str) -> str:
        self.counts[kind] += 1
        self.planted.append((kind, text))
        return text

    def mrn(self) -> str:
        r = self.r
        number = r.choice((f"{r.randrange(10**7):08d}", str(r.randrange(10**6, 10**7))))
        label = r.choice(("MRN: ", "MRN ", "MRN#: ", "Medical record number: "))
        return label + self._add("mrn", number)

    def dob(self, p: Patient) -> str:
        r, d = self.r, p.dob
        text = r.choice(
            (f"{d:%m/%d/%Y}", d.isoformat(), f"{MONTHS[d.month - 1]} {d.day}, {d.year}")
        )
        return r.choice(("DOB: ", "DOB ", "Date of birth: ")) + self._add("dob", text)

    def phone(self) -> str:
        """A number in the 555-01xx block reserved for fiction, in one of four layouts."""
        r = self.r
        area, line = r.choice((617, 312, 415, 503, 212, 734)), r.randrange(100, 200)
        text = r.choice(
            (
                f"({area}) 555-0{line}",
                f"{area}-555-0{line}",
                f"+1 {area} 555 0{line}",
                f"{area}.555.0{line}",
            )
        )
        return self._add("phone", text)

    def name_field(self, p: Patient) -> str:
        label = self.r.choice(("Patient: ", "Patient name: ", "Name: "))
        return label + self._add("patient", f"{p.first} {p.last}")

    def honorific(self, p: Patient) -> str:
        title = "Mr." if p.sex == "M" else self.r.choice(("Mrs.", "Ms.", "Ms.", "Miss"))
        return f"{title} {self._add('patient', p.last)}"


# --- the writer -------------------------------------------------------------------------------


class Writer:
    """Builds documents and labelled sentences from one seeded random stream."""

    def __init__(self, r: random.Random) -> None:
        self.r = r
        self.planter = Planter(r)
        self.patient_docs = 0

    # --- people, dates, labs ---

    def patient(self, acute: Acute | None = None) -> Patient:
        r = self.r
        sex = r.choice("FM")
        chronic = list(acute.likely[: r.randint(1, len(acute.likely))]) if acute else []
        for c in r.sample(list(CHRONIC), r.randint(1, 3)):
            if c not in chronic:
                chronic.append(c)
        meds = [(m, r.choice(m.doses)) for c in chronic for m in CHRONIC[c][1]]
        age = r.randint(34, 88)
        seen = dt.date(r.randint(2021, 2025), r.randint(1, 12), r.randint(1, 28))
        born = dt.date(seen.year - age, r.randint(1, 12), r.randint(1, 28))
        if born.replace(year=seen.year) > seen:
            born = born.replace(year=born.year - 1)
        return Patient(sex, age, chronic, meds, r.choice(FIRST[sex]), r.choice(LAST), born, seen)

    def doctor(self, specialty: str | None = None) -> str:
        names = [n for n, s in DOCTORS.items() if specialty in (None, s)] or list(DOCTORS)
        return f"Dr. {self.r.choice(names)}"

    def plant_now(self) -> bool:
        """Every PLANT_EVERY-th patient document carries identifiers."""
        self.patient_docs += 1
        return self.patient_docs % PLANT_EVERY == PLANT_EVERY // 2

    def lab_value(
        self, key: str, lo: float | None = None, hi: float | None = None
    ) -> tuple[str, float]:
        """'Hgb 12.1 g/dL' and the value, drawn from [lo, hi] (default: the reference range)."""
        r = self.r
        lab_unit, ref_lo, ref_hi, dp, names = LABS[key]
        value = round(r.uniform(ref_lo if lo is None else lo, ref_hi if hi is None else hi), dp)
        if lab_unit in UNIT_FORMS:
            shown = unit(r, value, lab_unit, dp)
        else:
            shown = f"{num(value, dp)} {lab_unit}".rstrip()
        return f"{r.choice(names)} {shown}", value

    def sex_words(self, p: Patient) -> tuple[str, str]:
        noun = ("woman", "female", "woman") if p.sex == "F" else ("man", "male", "man")
        return self.r.choice(noun), "She" if p.sex == "F" else "He"

    def home_meds(self, p: Patient) -> list[str]:
        return [order(self.r, m, d) for m, d in p.meds]

    def header(self, kind: str, p: Patient, planted: bool) -> str:
        r = self.r
        fields = [kind]
        if planted:
            makers = [
                lambda: self.planter.name_field(p),
                self.planter.mrn,
                lambda: self.planter.dob(p),
            ]
            r.shuffle(makers)
            fields += [make() for make in makers[: r.choice((2, 3, 3))]]
        fields.append(
            f"{r.choice(('Date of service', 'Visit date', 'Date'))}: {date_text(r, p.seen)}"
        )
        fields.append(f"{r.choice(('Attending', 'Provider', 'Author'))}: {self.doctor()}")
        return r.choice((" | ", "; ", ". ")).join(fields) + "."

    def vitals(self, acute: Acute | None, p: Patient) -> str:
        r = self.r
        hr = r.randint(*acute.hr) if acute else r.randint(62, 88)
        high = 146 if "HTN" in p.chronic else 132
        sbp = r.randint(*acute.sbp) if acute else r.randint(112, high)
        spo2 = r.randint(*acute.spo2) if acute else r.randint(95, 99)
        t = r.uniform(38.1, 39.4) if acute and acute.fever else r.uniform(36.4, 37.3)
        air = "on room air" if spo2 >= 92 or r.random() < 0.5 else f"on {r.randint(2, 4)} L NC"
        rr = r.randint(14, 18) if spo2 > 93 else r.randint(20, 28)
        label = r.choice(("Vitals", "VS", "Vital signs"))
        return (
            f"{label}: T {temperature(r, t)}, HR {hr}, BP {blood_pressure(r, sbp)}, RR {rr}, "
            f"SpO2 {spo2}% {air}."
        )

    def labs_line(self, acute: Acute | None, p: Patient, label: str = "") -> str:
        r = self.r
        wanted: dict[str, tuple[float, float] | None] = {"WBC": None, "Hgb": None, "Cr": None}
        for c in p.chronic:
            wanted.update(CHRONIC_LABS.get(c, {}))
        if acute:
            wanted.update(acute.labs)
        keys = list(wanted)
        r.shuffle(keys)
        parts = [
            self.lab_value(k, *(wanted[k] or (None, None)))[0] for k in keys[: r.randint(3, 6)]
        ]
        label = label or r.choice(("Labs", "Labs notable for", "Pertinent labs"))
        return f"{label}: {', '.join(parts)}."

    def continue_line(self, p: Patient, c: str) -> str:
        """One problem of the plan: what happens to this chronic condition's medication."""
        r = self.r
        meds = [(m, d) for m, d in p.meds if m in CHRONIC[c][1]]
        if not meds:
            return f"{c}: renally dose medications and avoid NSAIDs; repeat BMP in 3 months."
        med, dose = r.choice(meds)
        if c == "DM2":
            return f"DM2: HbA1c goal below {percent(r, 7.0)}; continue {stop(order(r, med, dose))}"
        if c == "HTN":
            goal = r.choice(("130/80 mmHg", "130/80 mm Hg", "130/80"))
            return f"HTN: goal BP below {goal}; continue {stop(order(r, med, dose))}"
        return f"{cap(c)}: continue {stop(order(r, med, dose))}"

    def contact(self, p: Patient) -> str:
        """A sentence with a phone number, sometimes naming the patient again."""
        r = self.r
        who = r.choice(("Daughter", "Son", "Spouse", "Health care proxy"))
        template = r.choice(
            (
                "{who} can be reached at {phone}.",
                "Call-back number: {phone}.",
                "{hon} prefers contact at {phone}.",
                "Discussed plan with {who_l} by phone ({phone}).",
                "Contact: {phone}.",
            )
        )
        hon = self.planter.honorific(p) if "{hon}" in template else ""
        return template.format(who=who, who_l=who.lower(), phone=self.planter.phone(), hon=hon)

    # --- clinical notes ---

    def doc_admission(self) -> str:
        r = self.r
        acute = r.choice(list(ACUTE.values()))
        p = self.patient(acute)
        planted = self.plant_now()
        noun, he = self.sex_words(p)
        if planted:
            who = f"{self.planter.honorific(p)} is a {p.age}-year-old {noun} with"
        else:
            who = cap(f"{r.choice(('a ', 'this is a ', ''))}{p.age}-year-old {noun} with")
        hpi = fill(
            r,
            "{who} a history of {pmh} who presents with {complaint} for {days}. {he} "
            "[denies|reports no] [chest pain|sick contacts|recent travel].",
            {
                "who": who,
                "pmh": join(p.chronic),
                "complaint": r.choice(acute.complaints),
                "days": plural(r.randint(2, 7), "day"),
                "he": he,
            },
        )
        parts = [self.header(r.choice(("ADMISSION NOTE", "H&P", "ED NOTE")), p, planted)]
        parts.append(f"HPI: {hpi}")
        if p.meds:
            parts.append(f"Home medications: {'; '.join(self.home_meds(p))}")
        parts.append(f"Allergies: {r.choice(ALLERGIES)}")
        parts.append(self.vitals(acute, p))
        parts.append(f"Exam: {cap(r.choice(acute.findings))}")
        parts.append(self.labs_line(acute, p))
        parts.append(acute.imaging)
        started = "; ".join(order(r, m, r.choice(m.doses)) for m in acute.treatment)
        plan = [f"1. {cap(acute.name)}: start {started}; {acute.plan}."]
        for i, c in enumerate(p.chronic[:3], start=2):
            if c == "DM2" and acute.fever:
                plan.append(f"{i}. DM2: hold metformin; sliding-scale insulin with meals.")
            else:
                plan.append(f"{i}. {self.continue_line(p, c)}")
        label = r.choice(("Assessment/Plan", "A/P", "Assessment and plan"))
        parts.append(f"{label}: {p.age}-year-old {noun} with {acute.name}. " + " ".join(plan))
        if planted:
            parts.append(self.contact(p))
        return sentences(parts)

    def doc_clinic(self) -> str:
        r = self.r
        p = self.patient()
        planted = self.plant_now()
        noun, he = self.sex_words(p)
        lead = self.planter.honorific(p) if planted else f"{p.age}-year-old {noun}"
        focus = p.chronic[0]
        parts = [
            self.header(r.choice(("CLINIC NOTE", "FOLLOW-UP VISIT", "PROGRESS NOTE")), p, planted)
        ]
        parts.append(
            fill(
                r,
                "Subjective: {lead} returns for follow-up of {focus}. {he} [reports good "
                "adherence|missed several doses last month|has no complaints] and [denies SOB|"
                "denies chest pain|notes mild fatigue].",
                {"lead": cap(lead), "focus": CHRONIC[focus][0], "he": he},
            )
        )
        if p.meds:
            parts.append(f"Current medications: {'; '.join(self.home_meds(p))}")
        parts.append(self.vitals(None, p))
        parts.append(self.labs_line(None, p))
        parts.append("Plan: " + " ".join(self.continue_line(p, c) for c in p.chronic[:3]))
        back = f"Return in {r.choice(('3 months', '6 weeks', '6 months'))}"
        if r.random() < 0.4:
            specialty = FOLLOWS[focus]
            back += f"; referred to {self.doctor(specialty)} ({specialty})"
        parts.append(back)
        if planted:
            parts.append(self.contact(p))
        return sentences(parts)

    def doc_discharge(self) -> str:
        r = self.r
        acute = r.choice(list(ACUTE.values()))
        p = self.patient(acute)
        planted = self.plant_now()
        noun, he = self.sex_words(p)
        lead = self.planter.honorific(p) if planted else f"this {p.age}-year-old {noun}"
        course = (
            "[defervesced by day 2|became afebrile within 48 hours]"
            if acute.fever
            else "[improved steadily|required no ICU care|was weaned to room air]"
        )
        first = acute.treatment[0]
        parts = [self.header("DISCHARGE SUMMARY", p, planted)]
        parts.append(f"Admission diagnosis: {acute.name}. Comorbidities: {join(p.chronic)}.")
        parts.append(
            fill(
                r,
                "Hospital course: {lead} was admitted with {acute} and treated with {tx}. {he} "
                + course
                + " and was discharged on hospital day {stay}.",
                {
                    "lead": cap(lead),
                    "acute": acute.name,
                    "tx": order(r, first, first.doses[0]),
                    "he": he,
                    "stay": r.randint(2, 6),
                },
            )
        )
        meds = self.home_meds(p)
        if acute.name.endswith("pneumonia"):
            step_down = Med("amoxicillin-clavulanate", (875,), "mg", "PO", "BID")
            meds.append(order(r, step_down, 875) + " for 5 more days")
        if acute.name.endswith("DVT"):
            meds.append(
                order(r, Med("apixaban", (10,), "mg", "PO", "BID"), 10) + " for 7 days, "
                "then 5 mg twice daily"
            )
        if meds:
            parts.append(f"Discharge medications: {'; '.join(meds)}")
        parts.append(self.labs_line(None, p, "Discharge labs"))
        specialty = FOLLOWS[p.chronic[0]]
        weeks = plural(r.randint(1, 3), "week")
        parts.append(f"Follow-up: {self.doctor(specialty)} ({specialty}) in {weeks}")
        if planted:
            parts.append(self.contact(p))
        return sentences(parts)

    def doc_lab(self) -> str:
        r = self.r
        p = self.patient()
        planted = self.plant_now()
        fields = [r.choice(("LABORATORY REPORT", "LAB RESULTS", "CLINICAL CHEMISTRY REPORT"))]
        if planted:
            fields += [self.planter.name_field(p), self.planter.dob(p), self.planter.mrn()]
            if r.random() < 0.6:
                fields.append(f"Phone: {self.planter.phone()}")
        when = f"{date_text(r, p.seen)} {r.randint(6, 11):02d}:{r.randint(0, 59):02d}"
        fields.append(f"Collected: {when}")
        fields.append(f"Ordering provider: {self.doctor()}")
        shifts: dict[str, tuple[float, float]] = {}
        for c in p.chronic:
            shifts.update(CHRONIC_LABS.get(c, {}))
        panels = r.sample(list(PANELS), r.randint(1, 3))
        flagged = []
        for panel in panels:
            results = []
            for key in PANELS[panel]:
                _, lo, hi, dp, names = LABS[key]
                shown, value = self.lab_value(key, *(shifts.get(key) or (None, None)))
                flag = " (H)" if value > hi else " (L)" if value < lo else ""
                if flag:
                    flagged.append((names[-1], "above" if value > hi else "below"))
                results.append(f"{shown} (ref {num(lo, dp)}-{num(hi, dp)}){flag}")
            fields.append(f"{cap(panel)}: " + "; ".join(results))
        # Interpretive comments, as laboratories add them: the prose part of a report.
        comments = [
            r.choice(
                (
                    "The specimen was received at ambient temperature and processed within "
                    "two hours of collection",
                    "All results were verified by repeat analysis on a second analyzer",
                    "The specimen was mildly hemolyzed, so the potassium may be falsely elevated",
                    "The eGFR was calculated with the CKD-EPI 2021 equation, which does not "
                    "use a race coefficient",
                )
            )
        ]
        for name, side in flagged[:2]:
            comments.append(
                fill(
                    r,
                    "The {name} is {side} the reference range; [this is consistent with the "
                    "known history|repeat testing is recommended if it is clinically "
                    "indicated|it was called to the ordering provider and read back]",
                    {"name": name, "side": side},
                )
            )
        if not flagged:
            comments.append("All values are within the reference ranges for an adult")
        fields.append("Comment: " + ". ".join(comments))
        return sentences(fields)

    # --- literature ---

    def trial_slots(self, a: Agent) -> dict[str, object]:
        r = self.r
        n = r.randint(60, 980)
        hr = r.uniform(0.52, 0.86)
        lo, hi = hr * r.uniform(0.78, 0.9), min(0.99, hr * r.uniform(1.08, 1.2))
        arm = r.uniform(18, 64)
        months = r.uniform(6, 18)
        start = r.randint(2012, 2019)
        grade = r.choice(("grade 3 or higher", "serious", "treatment-related"))
        return {
            "drug": a.name,
            "cap_drug": cap(a.name),
            "target": a.target,
            "kind_a": a_an(a.kind),
            "cap_kind_a": cap(a_an(a.kind)),
            "disease": a.disease,
            "short": a.short,
            "endpoint": a.endpoint,
            "cap_endpoint": cap(a.endpoint),
            "dose": a.dose,
            "comp": a.comparator,
            "standard": "standard therapy" if "placebo" in a.comparator else a.comparator,
            "marker": a.biomarker,
            "n": n,
            "n1": n // 2 + r.randint(0, 9),
            "centers": r.randint(8, 140),
            "countries": r.randint(3, 24),
            "y1": start,
            "y2": start + r.randint(2, 5),
            "weeks": r.choice((12, 16, 24, 26, 52)),
            "hr": f"{hr:.2f}",
            "ci": f"{lo:.2f}-{hi:.2f}",
            "ci_sep": r.choice((f"{lo:.2f}-{hi:.2f}", f"{lo:.2f} to {hi:.2f}")),
            "p": r.choice(("P < .001", "p < 0.001", f"P = .0{r.randint(1, 4)}", "P = .002")),
            "arm": percent(r, arm),
            "ctl": percent(r, arm * r.uniform(0.45, 0.8)),
            "m1": f"{months * r.uniform(1.3, 1.9):.1f}",
            "m0": f"{months:.1f}",
            "ae": percent(r, r.uniform(8, 31)),
            "ae_ctl": percent(r, r.uniform(5, 24)),
            "grade": grade,
            "cap_grade": cap(grade),
            "tox": r.choice(("diarrhea", "neutropenia", "rash", "elevated ALT", "nausea",
                             "infusion-related reactions")),
            "ic50": f"{r.uniform(0.4, 40):.1f}",
            "cells": r.choice(("patient-derived xenografts", "organoids", "primary human "
                               "macrophages", "HEK293 cells", "isogenic cell lines")),
            "gene": r.choice(GENES),
            "protein": r.choice(PROTEINS),
            "dm": f"{r.uniform(0.9, 1.8):.1f}",
            "dm0": f"{r.uniform(0.1, 0.6):.1f}",
            "ctl_low": percent(r, r.uniform(3, 16)),
            "hr_inv": f"{1 / hr:.2f}",
            "design": r.choices(("trial", "cohort", "lab"), (7, 2, 2))[0],
        }  # fmt: skip

    def sentence(self, section: str, a: Agent) -> str:
        """One abstract sentence of `section` about agent `a`, for labels.csv."""
        slots = self.trial_slots(a)
        pool = templates_for(section, str(slots["design"]), a.outcome)
        return cap(fill(self.r, self.r.choice(pool), slots))

    def doc_abstract(self) -> str:
        r = self.r
        a = r.choice(AGENTS)
        slots = self.trial_slots(a)
        heads = r.choice(
            (
                ("BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"),
                ("Background", "Methods", "Results", "Conclusions"),
                ("INTRODUCTION", "METHODS", "RESULTS", "CONCLUSION"),
            )
        )
        counts = (r.randint(2, 3), r.randint(2, 4), r.randint(3, 5), r.randint(1, 2))
        body = []
        for head, section, k in zip(heads, SECTION_TEMPLATES, counts, strict=True):
            pool = templates_for(section, str(slots["design"]), a.outcome)
            picks = sorted(r.sample(range(len(pool)), min(k, len(pool))))
            body.append(f"{head}: " + " ".join(cap(fill(r, pool[i], slots)) for i in picks))
        title = fill(
            r,
            {
                "trial": "[{cap_drug} versus {comp} in {disease}|{cap_drug}, {kind_a}, for "
                "{disease}|Targeting {target} with {drug} in {disease}: a [randomized|multicenter]"
                " trial]",
                "cohort": "[Outcomes of {standard} in {disease}: a [retrospective|registry-based] "
                "cohort study|{gene} status and survival with {standard} in {short}]",
                "lab": "[{cap_drug} inhibits {target} signaling in models of {short}|Mechanism "
                "of action of {drug}, {kind_a}]",
            }[str(slots["design"])],
            slots,
        )
        return f"{title}. " + " ".join(body)

    def doc_label(self) -> str:
        r = self.r
        if r.random() < 0.3:
            return self.label_acetylcysteine()
        a = r.choice(AGENTS)
        s = self.trial_slots(a)
        if " IV" in a.dose or "i.v." in a.dose:
            form, use = "for injection", "intravenous"
            strengths = (
                "For injection: 100 mg lyophilized powder in a single-dose vial; reconstitute "
                "with 5 mL of Sterile Water for Injection to 20 mg/mL."
            )
        elif " SC" in a.dose:
            form, use = "injection", "subcutaneous"
            strengths = "Injection: 1.5 mg/0.5 mL in a single-dose prefilled pen."
        else:
            form, use = "tablets", "oral"
            strengths = "Tablets: [40 mg and 80 mg|150 mg and 300 mg|5 mg, 10 mg and 15 mg]."
        grade = str(s["grade"]).replace(" or higher", "")
        ndc = f"{r.randrange(10**4):04d}-{r.randrange(10**4):04d}-{r.randrange(100):02d}"
        parts = [
            f"{a.name.upper()} ({a.name}) {form}, for {use} use. Initial U.S. Approval: "
            f"{r.randint(2019, 2025)}.",
            f"INDICATIONS AND USAGE: {cap(a.name)} is {a_an(a.kind)} indicated for the treatment "
            f"of adult patients with {a.disease}.",
            f"DOSAGE AND ADMINISTRATION: The recommended dosage is {a.dose} until disease "
            f"progression or unacceptable toxicity. Reduce the dose for {grade} {s['tox']}.",
            f"DOSAGE FORMS AND STRENGTHS: {strengths}",
            "CONTRAINDICATIONS: [None.|Known hypersensitivity to " + a.name + ".]",
            f"WARNINGS AND PRECAUTIONS: {cap(str(s['tox']))}: monitor [at baseline and every 2 "
            f"weeks|before each dose]; withhold for {grade} events. Embryo-fetal toxicity: "
            "advise of the potential risk to a fetus.",
            f"ADVERSE REACTIONS: The most common adverse reactions (incidence of at least 10%) "
            f"were {s['tox']}, fatigue and nausea.",
            "USE IN SPECIFIC POPULATIONS: Renal impairment: no dose adjustment for CrCl "
            "30-89 mL/min. Hepatic impairment: not studied.",
            f"HOW SUPPLIED: NDC {ndc}. Store [refrigerated at 2°C to 8°C (36°F to 46°F)|at 20°C "
            "to 25°C (68°F to 77°F)|at 20° to 25°C (68° to 77°F)] in the original carton.",
        ]
        return fill(r, " ".join(parts), {})

    def label_acetylcysteine(self) -> str:
        r = self.r
        w = r.randint(52, 104)
        parts = [
            "ACETYLCYSTEINE injection, for intravenous use. Acetylcysteine (N-acetylcysteine) is "
            "the N-acetyl derivative of the amino acid L-cysteine.",
            "INDICATIONS AND USAGE: an antidote for acetaminophen overdose indicated to prevent "
            "or lessen hepatic injury after ingestion of a potentially hepatotoxic quantity.",
            f"DOSAGE AND ADMINISTRATION: Loading dose: {unit(r, 150, 'mg/kg')} in 200 mL "
            f"over 60 minutes. Second dose: {unit(r, 50, 'mg/kg')} in 500 mL over 4 hours. "
            f"Third dose: {unit(r, 100, 'mg/kg')} in 1000 mL over 16 hours. For a patient "
            f"weighing {w} kg the loading dose is {unit(r, 150 * w / 1000, 'g', 2)}.",
            f"Obtain a plasma acetaminophen level at least 4 hours after ingestion; a level of "
            f"{unit(r, 150, 'mcg/mL', 0)} at 4 hours lies on the treatment line of the nomogram.",
            "WARNINGS: hypersensitivity reactions, including anaphylaxis; fluid overload in "
            "patients under 40 kg.",
            "HOW SUPPLIED: 6 g/30 mL (200 mg/mL) single-dose vials. Store at 20°C to 25°C.",
            r.choice(
                (
                    "Compare aspirin (2-acetoxybenzoic acid), whose overdose has no specific "
                    "antidote.",
                    "Acetaminophen is metabolized to N-acetyl-p-benzoquinone imine (NAPQI).",
                )
            ),
        ]
        return " ".join(parts)


# Sentence templates by abstract section; the same pools fill abstracts and labels.csv, so a
# section label follows from what a sentence does (motivates, describes, reports, interprets),
# not from a keyword: numbers appear in methods and results, "patients" and drug names in all
# four. A leading "<tags>" limits a template to study designs (trial, cohort, lab) or endpoint
# kinds (time, rate, change); untagged templates fit every abstract.
SECTION_TEMPLATES: dict[str, tuple[str, ...]] = {
    "background": (
        "{disease} remains a leading cause of [morbidity|death|disability] despite current "
        "therapy.",
        "[Signaling through|Overexpression of|Activation of] {target} drives [disease "
        "progression|inflammation|tumor growth] in a substantial fraction of patients with "
        "{short}.",
        "Patients with {marker} have [few effective options|a poor prognosis|limited benefit "
        "from {standard}].",
        "<trial cohort> Agents such as {drug} may overcome [resistance to|the toxicity of|the "
        "limited durability of] existing treatments.",
        "Whether inhibition of {target} improves {endpoint} in {short} is unknown.",
        "[Prior|Earlier] studies of {standard} reported [modest|inconsistent|short-lived] benefit, "
        "and [no|few] trials have enrolled patients with {marker}.",
        "Elevated [serum|tissue] {protein} [concentrations|levels] have been linked to worse "
        "outcomes in {short}.",
        "The optimal [sequencing|duration|dose] of therapy for {disease} has not been established.",
        "[Little|Limited] evidence is available on the long-term safety of targeting {target}.",
        "{gene} [variants|alterations] occur in up to {arm} of cases and [modify|predict] "
        "response to {standard}.",
        "Current guidelines recommend {standard}, but [many|most] patients relapse within [a year|"
        "two years].",
        "<trial> Preclinical data suggested that {drug} [restores|enhances] sensitivity in models "
        "with {marker}.",
        "<lab> How {target} inhibition [reshapes|alters] downstream signaling in {short} is "
        "poorly understood.",
        "<cohort> Real-world outcomes of {standard} in {disease} have not been well described.",
    ),
    "methods": (
        "<trial> In this [randomized, double-blind|open-label, randomized|phase 3, multicenter] "
        "trial, we assigned {n} patients with {disease} to receive {drug} ({dose}) or {comp}.",
        "<trial> Patients were enrolled at {centers} centers in {countries} countries between "
        "{y1} and {y2}.",
        "<trial> The primary end point was {endpoint}; secondary end points included safety and "
        "quality of life.",
        "<trial> Randomization was stratified according to {marker} and geographic region.",
        "<cohort> We conducted a retrospective cohort study of {n} adults with {short} [treated "
        "at|identified in the registries of] {centers} hospitals from {y1} to {y2}.",
        "<trial cohort> [Hazard ratios|Odds ratios] were estimated with [a stratified Cox model|"
        "logistic regression] adjusted for age, sex and baseline {gene} status.",
        "<trial cohort> {gene} status was assessed centrally by [next-generation sequencing|"
        "immunohistochemistry|droplet digital PCR].",
        "<trial> Efficacy analyses were performed in the intention-to-treat population, and "
        "safety was assessed in all patients who received at least one dose.",
        "<lab> We [exposed {cells} to|incubated {cells} with] increasing concentrations of {drug} "
        "and measured "
        "{target} [phosphorylation|signaling|activity] by immunoblotting.",
        "<lab> {protein} release was quantified by ELISA after [24|48|72] hours of exposure.",
        "<lab> Knockdown of {gene} with siRNA was used to test whether the effect depended on "
        "{target}.",
        "<trial> Adverse events were graded according to CTCAE version 5.0 [at each visit|every "
        "{weeks} weeks].",
        "<trial cohort> Serum {protein} concentrations were measured at baseline and at week "
        "{weeks}.",
        "<trial> A sample size of {n} patients was calculated to provide 90% power to detect a "
        "[hazard ratio of 0.70|difference of 15 percentage points].",
        "<cohort> Participants were followed for a median of {m0} months [by telephone and "
        "clinic visits|through linked health records].",
    ),
    "results": (
        "<trial time> {cap_endpoint} was [longer|significantly longer] with {drug} than with "
        "{comp} ({m1} vs. {m0} months; hazard ratio, {hr}; 95% CI, {ci_sep}; {p}).",
        "<trial rate> The rate of {endpoint} was {arm} with {drug} and {ctl} with {comp} ({p}).",
        "<trial change> Mean HbA1c decreased by {dm} percentage points from baseline at week "
        "{weeks} with {drug}, as compared with {dm0} with {comp} ({p}).",
        "<trial> A total of {n} patients underwent randomization; {n1} were assigned to {drug}.",
        "<trial> {cap_grade} adverse events occurred in {ae} of patients receiving {drug} and in "
        "{ae_ctl} of those receiving {comp}.",
        "<trial> The most common adverse event was {tox}, which led to discontinuation in "
        "[a few|{ctl_low} of] patients.",
        "<lab> {cap_drug} inhibited {target} [activity|signaling] with a half-maximal inhibitory "
        "concentration of {ic50} nM.",
        "<trial> The benefit was consistent across subgroups, including patients with {marker} "
        "(hazard ratio, {hr}; 95% CI, {ci}).",
        "<trial> [Serum|Plasma] {protein} levels fell by {arm} at week {weeks} in the "
        "{drug} group but were unchanged with {comp}.",
        "<trial cohort time> At a median follow-up of {m0} months, {ctl_low} of patients had died.",
        "<trial> No [new safety signals|treatment-related deaths] were observed.",
        "<lab> In {cells}, {drug} reduced [tumor growth|cytokine release|colony formation] by "
        "{arm} compared with vehicle ({p}).",
        "<trial cohort time> Patients with {gene} alterations had [shorter|similar] {endpoint} "
        "(hazard ratio, {hr_inv}).",
        "<cohort> Among {n} patients, {n1} received {standard}; their adjusted hazard of death was "
        "{hr} (95% CI, {ci}).",
        "<lab> Silencing {gene} abolished the effect of {drug} on {protein} release.",
    ),
    "conclusions": (
        "<trial> {cap_drug} [significantly improved|improved] {endpoint} as compared with {comp} "
        "among patients with {disease}.",
        "These findings support {target} as a therapeutic target in {short}.",
        "<trial> {cap_drug} had an acceptable safety profile, although {tox} [warrants "
        "monitoring|requires dose adjustment].",
        "[Larger|Longer] trials are needed to confirm [these results|the durability of this "
        "benefit] in patients with {marker}.",
        "<trial cohort> Our data suggest that {gene} status [should guide|could inform] the "
        "choice of therapy in {short}.",
        "<trial> {cap_drug} may offer a new [option|standard of care] for {disease}.",
        "<trial> [Targeting|Blocking] {target} did not [increase|compromise] safety relative "
        "to {comp}, supporting further development.",
        "<lab> These preclinical results provide a rationale for clinical testing of {drug}.",
        "[Routine|Systematic] testing for {marker} [may identify|would identify] patients most "
        "likely to benefit.",
        "<cohort> In this [cohort|population], {standard} was associated with [worse|similar] "
        "outcomes, which [argues for|does not support] a change in practice.",
        "<trial> Clinicians should weigh the [modest|meaningful] gain in {endpoint} against the "
        "risk of {tox}.",
        "<lab> {cap_drug} acts at least in part through {target}, independently of {gene}.",
    ),
}
TAGGED = re.compile(r"<([a-z ]+)> ")


def templates_for(section: str, design: str, outcome: str) -> list[str]:
    """The templates of `section` that fit a study `design` with an endpoint of kind `outcome`."""
    chosen = []
    for template in SECTION_TEMPLATES[section]:
        tagged = TAGGED.match(template)
        tags = set(tagged.group(1).split()) if tagged else set()
        designs, outcomes = tags & {"trial", "cohort", "lab"}, tags & {"time", "rate", "change"}
        if (not designs or design in designs) and (not outcomes or outcome in outcomes):
            chosen.append(template[tagged.end() :] if tagged else template)
    return chosen


DOC_KINDS = (
    ("doc_admission", 5),
    ("doc_clinic", 4),
    ("doc_discharge", 3),
    ("doc_lab", 3),
    ("doc_abstract", 6),
    ("doc_label", 2),
)


def build_corpus(w: Writer) -> list[str]:
    """Documents of mixed kinds until the corpus reaches TARGET_CORPUS_BYTES."""
    docs: list[str] = []
    size = 0
    names = [n for n, _ in DOC_KINDS]
    weights = [k for _, k in DOC_KINDS]
    while size < TARGET_CORPUS_BYTES:
        doc = getattr(w, w.r.choices(names, weights)[0])()
        doc = re.sub(r" {2,}", " ", doc).strip()
        docs.append(doc)
        size += len(doc.encode("utf-8")) + 1
    return docs


def build_labels(w: Writer) -> list[tuple[str, str]]:
    """LABEL_ROWS_PER_CLASS unique abstract sentences per section, shuffled."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for section in SECTION_TEMPLATES:
        target = len(rows) + LABEL_ROWS_PER_CLASS
        while len(rows) < target:
            text = w.sentence(section, w.r.choice(AGENTS))
            if text not in seen:
                seen.add(text)
                rows.append((text, section))
    w.r.shuffle(rows)
    return rows


# --- labelled results whose direction needs context -------------------------------------------

# context_labels.csv: did the comparison favour the investigational drug (``favors_drug``) or
# its comparator (``favors_comparator``)? Each template names both arms, and which arm fills
# which slot is drawn at random, so every word is as likely in one class as in the other; the
# label is in the arrangement: which arm is "longer with ... than with", which arm "not"
# excludes, who "did not receive" the drug, whether a higher rate is good (a response) or bad
# (adverse kidney events), and hedged claims ("may improve ... relative to"). The endpoints,
# arms, numbers and phrasing are the corpus's own abstract sentences turned around. Drawn from
# a seeded stream of their own, so corpus.txt and labels.csv do not change.
CONTEXT_ROWS_PER_CLASS = 200
CONTEXT_STREAM = 1_000_003  # added to the seed: a stream of its own
BAD_ENDPOINTS = ("major adverse kidney events at day 30",)  # a higher rate is worse


def context_sentence(w: Writer) -> tuple[str, str]:
    """One results sentence and its label; the favoured arm is drawn first, then a template."""
    r = w.r
    a = r.choice(AGENTS)
    s = w.trial_slots(a)
    drug_wins = r.random() < 0.5
    good, other = (a.name, a.comparator) if drug_wins else (a.comparator, a.name)
    s |= {"good": good, "other": other, "cap_good": cap(good), "cap_other": cap(other)}
    kind = r.randrange(7)
    if kind == 0:  # a comparative: which arm is on which side of "than"
        if a.outcome == "time":
            template = r.choice(
                (
                    "{cap_endpoint} was [longer|significantly longer] with {good} than with "
                    "{other} ({m1} vs. {m0} months; hazard ratio, {hr}; 95% CI, {ci_sep}; {p}).",
                    "{cap_endpoint} was shorter with {other} than with {good} ({m0} vs. {m1} "
                    "months; hazard ratio, {hr_inv}; {p}).",
                )
            )
        elif a.outcome == "rate":
            higher = r.random() < 0.5
            first, second = ("good", "other")
            if higher == (a.endpoint in BAD_ENDPOINTS):  # the higher rate is the worse one
                first, second = second, first
            numbers = "{arm} vs. {ctl}" if higher else "{ctl} vs. {arm}"
            template = (
                f"The rate of {{endpoint}} was {'higher' if higher else 'lower'} with {{{first}}} "
                f"than with {{{second}}} ({numbers}; {{p}})."
            )
        else:
            more = r.random() < 0.5
            template = (
                "Mean HbA1c decreased more with {good} than with {other} at week {weeks} ({p})."
                if more
                else "Mean HbA1c decreased less with {other} than with {good} at week {weeks} "
                "({p})."
            )
    elif kind == 1:
        template = "Compared with {other}, {good} [significantly improved|improved] {endpoint} "
        template += "among patients with {disease}."
    elif kind == 2:  # which arm "not" excludes
        template = "{cap_good}, not {other}, improved {endpoint} in patients with {short}."
    elif kind == 3:  # who did not receive which arm
        template = r.choice(
            (
                "Patients who received {good} had better {endpoint} than those who "
                "received {other}.",
                "Patients who did not receive {other} had better {endpoint} than "
                "those who did not receive {good}.",
                "Patients who received {other} had worse {endpoint} than those who received "
                "{good}.",
                "Patients who did not receive {good} had worse {endpoint} than those who did not "
                "receive {other}.",
            )
        )
    elif kind == 4:  # hedged
        template = (
            "{cap_good} may improve {endpoint} relative to {other}, although [larger|longer] "
            "trials are needed to confirm [these results|the durability of this benefit]."
        )
    elif kind == 5:
        template = (
            "The benefit of {good} over {other} was consistent across subgroups, including "
            "patients with {marker}."
        )
    else:  # the risk of failing, on either side of "than"
        s["risk"] = "disease progression or death" if a.outcome == "time" else "treatment failure"
        template = (
            "The risk of {risk} was lower with {good} than with {other} (hazard ratio, {hr}; 95% "
            "CI, {ci})."
            if r.random() < 0.5
            else "The risk of {risk} was higher with {other} than with {good} (hazard ratio, "
            "{hr_inv})."
        )
    text = cap(fill(r, template, s))
    return text, "favors_drug" if drug_wins else "favors_comparator"


def build_context_labels(seed: int = 0) -> list[tuple[str, str]]:
    """CONTEXT_ROWS_PER_CLASS unique sentences per class, shuffled."""
    w = Writer(random.Random(seed + CONTEXT_STREAM))
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    counts = {"favors_drug": 0, "favors_comparator": 0}
    while min(counts.values()) < CONTEXT_ROWS_PER_CLASS:
        text, label = context_sentence(w)
        if text not in seen and counts[label] < CONTEXT_ROWS_PER_CLASS:
            seen.add(text)
            counts[label] += 1
            rows.append((text, label))
    w.r.shuffle(rows)
    return rows


def write_rows(path: Path, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def main(out_dir: Path, seed: int = 0) -> dict[str, object]:
    """Write corpus.txt and labels.csv into out_dir; return summary statistics.

    The summary's `planted` counts identifiers by the redaction rule that must find them,
    and `identifiers` lists each planted (kind, text), for tests.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    writer = Writer(rng)
    docs = build_corpus(writer)
    corpus = "".join(doc + "\n" for doc in docs).encode("utf-8")
    (out_dir / "corpus.txt").write_bytes(corpus)
    rows = build_labels(Writer(rng))
    buf = io.StringIO()
    csv_writer = csv.writer(buf, lineterminator="\n")
    csv_writer.writerow(("text", "label"))
    csv_writer.writerows(rows)
    (out_dir / "labels.csv").write_bytes(buf.getvalue().encode("utf-8"))
    context = build_context_labels(seed)
    write_rows(out_dir / "context_labels.csv", ("text", "label"), context)
    return {
        "docs": len(docs),
        "corpus_bytes": len(corpus),
        "label_rows": len(rows),
        "context_label_rows": len(context),
        "patient_docs": writer.patient_docs,
        "planted": dict(writer.planter.counts),
        "identifiers": list(writer.planter.planted),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    summary = main(args.out_dir, args.seed)
    summary.pop("identifiers")
    print(summary)
