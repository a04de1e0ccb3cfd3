"""Generate the embedded finance sample corpus and sentiment set for ``ssl-domains``.

``ssl-domains pretrain --domain finance`` falls back on these files when no corpus is given:

* ``corpus.txt``: one synthetic finance document per line, evenly mixing earnings releases,
  10-K/10-Q excerpts, analyst notes, market wraps, central-bank commentary, M&A, bond/credit
  and dividend/buyback announcements. Amounts, percentages, tickers, fiscal periods and dates
  appear in varied surface forms for the normaliser; about one document in sixty carries a
  random account number, Luhn-valid card number or mod-97-valid IBAN for the redactor.
* ``labels.csv``: single sentences labelled positive, negative or neutral (``text,label``).
* ``context_labels.csv``: sentences labelled positive or negative whose words are the same in
  both classes: the label is in how they are put together (see ``context_sentence``).

All prose is template-based and original; every company, bank, person and identifier is
invented. Standard library only; a given seed always produces byte-identical output.

Usage: python generate.py [--out-dir DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TARGET_CORPUS_BYTES = 370_000
PLANT_EVERY = 60
LABEL_ROWS_PER_CLASS = 170
ALTERNATIVES = re.compile(r"\[([^\[\]]*)\]")

# fmt: off
# name:TICKER:sector entries, grouped by listing venue.
_UNIVERSE = {
    "NYSE": "Acme Fabrication Corp:ACME:industrials; Halberd Energy:HLBD:energy; "
            "Brightwater Utilities:BWU:utilities; Marrowgate Financial:MRGF:banking; "
            "Oakridge Provisions:OKRP:consumer goods; Pellham Retail Group:PLRG:retail; "
            "Veridane Health:VRDH:healthcare; Northline Railways:NLRW:transportation; "
            "Kestrel Aerospace:KSTA:industrials; Granforth Insurance:GRFI:insurance; "
            "Siltstone Materials:SLTM:materials; Arbelle Telecom:ARBT:telecom; "
            "Cobaltine Mining:CBLT:materials; Fennick Realty Trust:FNRT:real estate; "
            "Thistledown Foods:THFD:consumer goods; Daggett Motor Works:DGMW:autos; "
            "Calloway Apparel:CLWY:retail; Ironvale Steel:IRVS:materials; "
            "Halcyon Hotels:HLCN:leisure; Embervale Petroleum:EMBP:energy; "
            "Sorrelfield Pharma:SRFP:pharmaceuticals; Bluequay Shipping:BLQY:transportation; "
            "Ravensworth Capital:RVCP:banking; Pinemark Water:PNMW:utilities",
    "NASDAQ": "Zenith Networks:ZNTH:technology; Corvane Therapeutics:CRVN:pharmaceuticals; "
              "Quillon Software:QLSW:software; Tessaline Semiconductor:TSLN:semiconductors; "
              "Stratacore Systems:STRC:technology; Lumora Biosciences:LUMB:pharmaceuticals; "
              "Wavecrest Media:WVCM:media; Orrin Payments:ORPY:software; "
              "Prowell Logistics:PRWL:transportation; Nimbrix Cloud:NMBX:software; "
              "Solvane Renewables:SOLV:utilities; Meridian Crest Bancorp:MCBK:banking; "
              "Quorvex Robotics:QRVX:industrials; Tindale Semiconductor:TNDL:semiconductors; "
              "Lindqvist Devices:LNQD:technology; Cartwell Home Goods:CRTW:retail",
    "Euronext Paris": "Aurelis Chimie:AURC:chemicals; Belmonde Luxe:BLMD:consumer goods; "
                      "Castellane Banque:CSTB:banking; Miravel Telecom:MRVT:telecom",
    "Euronext Amsterdam": "Vandermolen Logistiek:VDML:transportation; "
                          "Hollandse Datagroep:HLDG:software",
    "XETRA": "Stahlberg Industrie:STBG:industrials; Kronhaus Versicherung:KRNV:insurance; "
             "Osterwald Energie:OSTW:utilities; Rheinfeld Pharma:RHFP:pharmaceuticals",
    "LSE": "Ashcombe Holdings:ASHC:industrials; Brackenbury Bank:BRKB:banking; "
           "Whitlow Retail:WHTR:retail; Dunmore Energy:DNME:energy; "
           "Fenwright Insurance:FNWI:insurance; Calderbrook Homes:CLBH:real estate",
    "TSE": "Takamori Electronics:TKMR:technology; Hoshizora Motors:HSZM:autos; "
           "Kirisame Chemical:KRSM:chemicals; Aonami Trading:AONT:industrials",
}
CURRENCY_BY_EXCHANGE = {"NYSE": "USD", "NASDAQ": "USD", "LSE": "GBP", "XETRA": "EUR",
                        "Euronext Paris": "EUR", "Euronext Amsterdam": "EUR", "TSE": "JPY"}
FX = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 150.0}
SYMBOLS = {"USD": ("$", "$", "US$ ", "USD "), "EUR": ("€", "€", "EUR "),
           "GBP": ("£", "£", "GBP "), "JPY": ("¥", "¥", "JPY ")}
PRODUCTS = {
    "industrials": ("factory automation", "aftermarket services"),
    "technology": ("networking equipment", "data-center hardware"),
    "energy": ("refined products", "upstream production"),
    "pharmaceuticals": ("oncology drugs", "specialty medicines"),
    "utilities": ("regulated power", "renewable generation"),
    "software": ("cloud subscriptions", "payments software"),
    "banking": ("commercial lending", "wealth management"),
    "semiconductors": ("memory chips", "AI accelerators"),
    "consumer goods": ("packaged foods", "premium beverages"),
    "retail": ("online orders", "private-label apparel"),
    "healthcare": ("outpatient services", "diagnostic testing"),
    "transportation": ("intermodal freight", "contract logistics"),
    "insurance": ("commercial property cover", "annuity products"),
    "materials": ("steel products", "copper concentrate"),
    "telecom": ("fiber broadband", "wireless plans"),
    "real estate": ("office leasing", "residential development"),
    "media": ("streaming subscriptions", "advertising"),
    "autos": ("electric vehicles", "light trucks"),
    "leisure": ("hotel bookings", "cruise packages"),
    "chemicals": ("specialty coatings", "industrial gases"),
}
BANKS = ("Halvorsen & Pike", "Crestmoor Securities", "Larkspur Capital", "Brennan Stowe",
         "Ostrander Partners", "Voss Kettering", "Mirelle Brothers", "Tamsin Lowe Securities",
         "Quayside Research", "Northbrook Advisory", "Pemberton Hale", "Ardley Capital Markets")
AGENCIES = ("Ardent Ratings", "Castor Credit Ratings", "Pembury Ratings Service")
FIRST = ("Dana", "Marcus", "Priya", "Tomas", "Helen", "Rafael", "Yuki", "Olivia", "Gareth",
         "Ines", "Samuel", "Leah", "Anders", "Chioma", "Victor", "Mei")
LAST = ("Okafor", "Lindgren", "Castillo", "Whitcombe", "Nakamura", "Brandt", "Ferreira",
        "Halloran", "Desai", "Kowalski", "Moreau", "Ashby", "Reyes", "Sato", "Gunnarsson")
REGIONS = ("North America", "Europe", "China", "Latin America", "the Asia-Pacific region")
CREDIT = ("AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+", "B")
RATINGS = (("Sell", "Underweight", "Underperform"), ("Hold", "Neutral", "Equal Weight"),
           ("Buy", "Overweight", "Outperform"))
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
ORD = ("first", "second", "third", "fourth")
QUARTER_END = ((3, 31), (6, 30), (9, 30), (12, 31))
UP, DOWN = ("rose", "increased", "grew", "climbed"), ("fell", "declined", "decreased", "slipped")
WRAP_MARKETS = (  # label, currency, (index, low, high) x2, bond, yield range
    ("U.S. stocks", "USD", ("S&P 500", 3800, 5900), ("Nasdaq Composite", 11000, 19000),
     "10-year Treasury note", (3.5, 4.9)),
    ("European shares", "EUR", ("STOXX 600", 420, 520), ("DAX", 14500, 19500),
     "German 10-year Bund", (2.0, 2.9)),
    ("London stocks", "GBP", ("FTSE 100", 7200, 8400), ("FTSE 250", 17500, 21000),
     "10-year gilt", (3.6, 4.7)),
    ("Japanese shares", "JPY", ("Nikkei 225", 26000, 40500), ("Topix", 1900, 2900),
     "10-year Japanese government bond", (0.3, 1.1)),
)
# fmt: on

# --- document templates: (alternative first sentences, optional follow-ups). "[a|b]" picks one.
Spec = tuple[tuple[str, ...], tuple[str, ...]]
EARNINGS: Spec = (
    (
        "{intro} reported results for {per} on {when}, saying revenue {verb} {move} year over year "
        "to {new} from {old}.",
        "{intro} said on {when} that revenue for {per} {verb} {move} year over year to {new}.",
        "For {per}, {intro} posted revenue of {new}, {updown} {move} from {old} a year earlier.",
    ),
    (
        "Diluted earnings per share were {eps}, compared with {eps_old} in the year-ago quarter.",
        "Adjusted earnings of {adj} per share {beat} the consensus estimate of {cons}.",
        "Gross margin {widen} {gm_d} to {gm}.",
        "{cum}",
        "Revenue from {prod} {verb2} {p1}, while revenue in {region} was roughly flat.",
        "{short} {guide} its {fy} revenue outlook {prep} {lo} to {hi}.",
        "Operating cash flow for the quarter was {ocf}, and the company ended the period with "
        "{cash} in cash.",
        '"{quote}," Chief Executive Officer {person} said in a statement.',
        "{shares} {react} {p2} in extended trading.",
    ),
)
RISK: Spec = (
    (
        "The following is excerpted from the risk factors in the annual report on Form 10-K that "
        "{intro} filed for {fy}.",
    ),
    (
        "As of {ye}, approximately {p1} of our revenue came from our ten largest customers, and "
        "the loss of any of them could materially reduce our sales.",
        "Changes in foreign exchange rates reduced our reported revenue by {fx_hit} in {fy}.",
        "We had {debt} of floating-rate borrowings outstanding, and an increase of {shock} in "
        "interest rates would raise annual interest expense by about {cost}.",
        "Disruptions at suppliers of components for our {prod} business could delay shipments and "
        "harm our results of operations.",
        "A cyber incident affecting our systems or those of our vendors could expose confidential "
        "information and result in litigation and regulatory penalties.",
        "Competition in {sector} is intense, and pricing pressure could reduce our gross margin "
        "below the {p2} we reported for {fy}.",
    ),
)
MDNA: Spec = (
    (
        "In the management's discussion and analysis section of its quarterly report on Form 10-Q "
        "for {per}, {intro} said net sales {verb} compared with the prior-year period.",
    ),
    (
        "Net sales for {cum_per} were {new}, compared with {old} in the same period a year "
        "earlier, a change of {sign}{move}.",
        "Selling, general and administrative expenses increased {sga}, or {sga_p}, primarily due "
        "to higher personnel costs.",
        "Operating margin was {om}, compared with {om_old} in the prior-year period, reflecting "
        "{om_why}.",
        "The effective tax rate for the quarter was {tax}.",
        "Backlog stood at {backlog} at the end of the quarter, {updown} {p1} from a year earlier.",
        "Foreign currency movements reduced net sales growth by approximately {fx_bp}.",
    ),
)
LIQUIDITY: Spec = (
    (
        "In the liquidity discussion of its {form} for {per}, {intro} reported cash and cash "
        "equivalents of {cash} as of {end}.",
    ),
    (
        "The company also had {revolver} of undrawn capacity under its revolving credit facility, "
        "which matures in {mat}.",
        "Total debt was {debt}, and net leverage was {lev} times trailing EBITDA.",
        "Management believes that cash on hand, cash from operations and available borrowing "
        "capacity will be sufficient to fund operations for at least the next twelve months.",
        "Capital expenditures for the full year are expected to be between {lo} and {hi}.",
        "During the period the company repurchased {buy_n} million shares for {buy_amt}, an "
        "average of {price} per share.",
        "No borrowings were outstanding under the commercial paper program as of {end}.",
    ),
)
ANALYST_CORE = {
    "upgrade": "{bank} upgraded {intro} to {rating} from {prev} on {when}, citing {why}.",
    "downgrade": "{bank} analyst {person} downgraded {intro} to {rating} from {prev}, pointing "
    "to {why}.",
    "reiterate": "{bank} reiterated its {rating} rating on {intro} on {when}.",
    "initiate": "{bank} initiated coverage of {intro} with a {rating} rating and a price target "
    "of {new_t}.",
}
ANALYST_EXTRAS = (
    "The firm {tverb} its price target to {new_t} from {old_t}.",
    "The target implies {side} of {gap} from the previous close of {price}.",
    "{surname} now forecasts {fy} earnings of {e_new} per share, {updown} from a prior estimate of "
    "{e_old}.",
    "In a note to clients, {surname} cited {why} and said the risk-reward looks {view}.",
    "Of the {n_cov} analysts covering the stock, {n_buy} rate it a buy or equivalent.",
    "The stock trades at about {pe} times forward earnings, versus a {sector} peer average of "
    "{peer_pe} times.",
    "{shares} {react} {p2} in premarket trading.",
)
WRAP: Spec = (
    ("{market} {close} on {when} as investors {driver}.",),
    (
        "The {idx1} {verb} {p1} to {level}, and the {idx2} {verb2} {p2}.",
        "The yield on the {bond} [rose|fell] {y_bp} to {yld}.",
        "Among individual stocks, {winner} [jumped|gained|advanced] {p3} after [results that beat "
        "expectations|an analyst upgrade|a larger buyback].",
        "{loser} [slumped|dropped|lost] {p4} after [the company cut its forecast|a downgrade|a "
        "regulatory probe].",
        "Brent crude [rose|fell] {p5} to ${oil} a barrel, and gold traded at ${gold} an ounce.",
        "The dollar [strengthened|weakened] {p6} against the yen to ¥{usdjpy}.",
        "{lead_sector} shares led the {move}, while {lag_sector} stocks lagged.",
        "{adv} issues outnumbered {dec} by a ratio of {ratio} to 1.",
    ),
)
MACRO: Spec = (
    ("The {cb} held rates steady at {old_rate} on {when}, leaving {what} unchanged.",),
    (
        "{vote}",
        "Consumer prices rose {cpi} year over year in {mo}, {cpi_dir} from {cpi_prev} the previous "
        "month.",
        "Officials said future decisions would depend on incoming data and signaled [one more|two "
        "more|no further] {moves} by the end of {y}.",
        "Economists at {bank} expect the next move in {next_mo} {y1}.",
        "Two-year yields [fell|rose] {y2_bp} after the announcement, and futures implied a {odds} "
        "chance of a change at the next meeting.",
        "Separate data showed the economy grew at an annualized rate of {gdp} in {per}.",
        "The unemployment rate [held at|rose to|edged down to] {unemp} in {mo}.",
        "Core inflation, which excludes food and energy, was {core_cpi}.",
    ),
)
MACRO_MOVE = "The {cb} {act} {what} by {step} to {new_rate} on {when}."
MNA: Spec = (
    (
        "{intro} agreed to acquire {t_intro} for {equity} [in cash|in cash and stock|in an "
        "all-stock deal], or {offer} per share.",
    ),
    (
        "The offer represents a premium of {prem} to the {t_short} closing price of {close} on "
        "{when}.",
        "Including net debt of {net_debt}, the transaction values {t_short} at an enterprise value "
        "of {ev}.",
        "The deal is expected to close in {close_per}, subject to regulatory approvals and a vote "
        "by {t_short} shareholders.",
        "{short} expects annual cost synergies of {syn} by {fy}.",
        "The purchase will be funded with cash on hand and {new_debt} of new debt.",
        "{bank} is acting as financial adviser to {short}, and {bank2} is advising {t_short}.",
        "{t_shares} jumped {t_jump} in premarket trading, while {shares} slipped {p2}.",
        "The combined company would have annual revenue of about {combined}.",
    ),
)
CREDIT_SHARED = (
    "Net leverage stood at {lev} times EBITDA at the end of {per}.",
    "Interest coverage was {cover} times, and {due} of debt comes due over the next two years.",
)
ISSUE: Spec = (
    ("{intro} priced {size} of senior unsecured notes due {mat} with a coupon of {coupon}.",),
    (
        "The notes were priced at a spread of {spread} over benchmark government bonds.",
        "Orders peaked at more than {book}, allowing the company to tighten pricing.",
        "Proceeds will be used to refinance {refi} of notes maturing in {y1} and for general "
        "corporate purposes.",
        *CREDIT_SHARED,
    ),
)
RATING_ACTION: Spec = (
    ("{agency} {act} the long-term issuer rating of {intro} to {new_r} from {old_r} on {when}.",),
    (
        "The agency cited {why} and assigned a {outlook} outlook.",
        "Five-year credit default swaps on {short} debt {cds_verb} to {cds_new} basis points from "
        "{cds_old}.",
        *CREDIT_SHARED,
    ),
)
CAPITAL: Spec = (
    ("{intro} declared a quarterly dividend of {div} per share, up {div_up} from {div_old}.",),
    (
        "The dividend is payable on {pay} to shareholders of record as of {record}.",
        "The new annualized dividend of {annual} represents a yield of about {yld} based on a "
        "share price of {price}.",
        "The board also authorized a new share repurchase program of up to {auth}, replacing the "
        "prior {auth_old} authorization.",
        "During {prev_fy}, the company returned {returned} to shareholders through dividends and "
        "buybacks.",
        "{short} has increased its payout for {streak} consecutive years.",
        "Management said it intends to keep net leverage below {lev} times while funding the "
        "higher payout.",
        "{shares} [edged up|rose|gained] {p2} after the announcement.",
    ),
)
PLANTS = {
    "account": (
        "Holders electing the cash option should wire funds to the exchange agent, {id}, no "
        "later than {when}.",
        "The indictment alleges that the former controller diverted {amount} to {id}, which he "
        "controlled.",
        "Refunds of overpaid fees will be credited to {id} held with the transfer agent.",
    ),
    "card": (
        "The breach notice said a test log exposed a customer card number, {id}, which was "
        "cancelled the same day.",
        "According to the complaint, unauthorized charges appeared on card {id} after the outage "
        "on {when}.",
        "A consent order cited an internal email that included the full card number {id} in plain "
        "text.",
    ),
    "iban": (
        "Subscription monies for the rights issue must be transferred to IBAN {id} by {when}.",
        "The escrow deposit of {amount} will be held in IBAN {id} until closing.",
        "Coupon payments will be made to the fiscal agent's account, IBAN {id}.",
    ),
}


@dataclass(frozen=True)
class Company:
    name: str
    ticker: str
    sector: str
    exchange: str

    @property
    def currency(self) -> str:
        return CURRENCY_BY_EXCHANGE[self.exchange]

    @property
    def short(self) -> str:
        return self.name.split()[0]


COMPANIES = tuple(
    Company(*item.strip().split(":"), exchange)
    for exchange, blob in _UNIVERSE.items()
    for item in blob.split(";")
)


# --- surface-form helpers ---------------------------------------------------------------------


def _num(v: float) -> str:
    """About three significant figures, thousands separators, no trailing zeros."""
    if v >= 100:
        return f"{v:,.0f}"
    return (f"{v:.1f}" if v >= 10 else f"{v:.2f}").rstrip("0").rstrip(".")


def money(r: random.Random, millions: float, cur: str) -> str:
    """An amount given in local-currency millions: '$4.2bn', 'USD 310m', 'US$ 1,250 million'."""
    prefix = r.choice(SYMBOLS[cur])
    if millions >= 1000 and r.random() < 0.8:
        return f"{prefix}{_num(millions / 1000)}{r.choice((' billion', 'bn', ' billion'))}"
    return f"{prefix}{_num(millions)}{r.choice((' million', 'm', ' million', ' mln'))}"


def tick(v: float, cur: str) -> float:
    """Round a per-share figure to the currency's quoting precision."""
    return float(round(v)) if cur == "JPY" else round(v, 2)


def moved(v: float, frac: float, cur: str) -> float:
    """v * (1 + frac) rounded, guaranteed to differ from v in the direction of frac."""
    step, out = (1.0 if cur == "JPY" else 0.01), tick(v * (1 + frac), cur)
    if frac > 0 and out <= v:
        out = tick(v + step, cur)
    if frac < 0 and out >= v:
        out = tick(v - step, cur)
    return out


def ps(v: float, cur: str) -> str:
    """A per-share figure such as '$0.87' or '¥1,240'."""
    return SYMBOLS[cur][0] + (f"{v:,.0f}" if cur == "JPY" else f"{v:.2f}")


def pct(r: random.Random, x: float, dp: int = 1) -> str:
    return f"{x:.{dp}f}" + r.choices(("%", " percent", " per cent"), (6, 3, 1))[0]


def bps(r: random.Random, n: int) -> str:
    return f"{n}" + r.choice((" basis point" if n == 1 else " basis points", "bps", " bp"))


def period(r: random.Random, kind: str, y: int, n: int = 1) -> str:
    """A period: 'q' (fiscal quarter n), 'h' (half n), '9m', 'fy', or 'cq' (calendar quarter)."""
    o, yy = ORD[n - 1], y % 100
    return r.choice(
        {
            "q": (
                f"Q{n} {y}",
                f"the {o} quarter of fiscal {y}",
                f"Q{n} FY{yy}",
                f"{n}Q{yy}",
                f"the {o} quarter of {y}",
                f"fiscal Q{n} {y}",
            ),
            "h": (f"the {o} half of {y}", f"H{n} {y}", f"{n}H{yy}"),
            "9m": (f"9M {y}", f"the first nine months of {y}", f"9M{yy}"),
            "fy": (f"FY{y}", f"fiscal {y}", f"fiscal year {y}", f"FY{yy}", f"full-year {y}"),
            "cq": (f"Q{n} {y}", f"the {o} quarter of {y}", f"{n}Q{yy}"),
        }[kind]
    )


def date(r: random.Random, y: int, m: int, d: int, business_day: bool = True) -> str:
    """A date in a random surface form; weekends move to the adjacent weekday by default."""
    if business_day and (wd := dt.date(y, m, d).weekday()) >= 5:
        day = dt.date(y, m, d) + dt.timedelta(days=(4 - wd) if d > 2 else (7 - wd))
        m, d = day.month, day.day
    name = MONTHS[m - 1]
    abbrev = f"{name[:3]}. {d}, {y}" if len(name) > 4 else f"{name} {d}, {y}"
    return r.choice((f"{name} {d}, {y}", f"{y}-{m:02d}-{d:02d}", f"{d} {name} {y}", abbrev))


def fill(r: random.Random, template: str, slots: dict[str, object]) -> str:
    """Pick one option from each inline "[a|b|c]" group, then substitute {slots}."""
    return ALTERNATIVES.sub(lambda m: r.choice(m.group(1).split("|")), template).format(**slots)


def cap(s: str) -> str:
    return s[0].upper() + s[1:]


def assemble(r: random.Random, core: list[str], extras: list[str]) -> list[str]:
    """Core sentences plus an ordered random subset of extras, 2-8 sentences in total."""
    lo, hi = max(0, 2 - len(core)), min(len(extras), 8 - len(core))
    keep = sorted(r.sample(range(len(extras)), r.randint(lo, hi)))
    return [cap(s) for s in core + [extras[i] for i in keep]]


# --- sensitive identifiers (random, never real) -----------------------------------------------


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def card_number(r: random.Random, style: int) -> str:
    """16-digit Luhn-valid number: style 0 plain, 1 grouped by spaces, 2 grouped by dashes."""
    body = r.choice(("4", "51", "52", "53", "54", "55"))
    body += "".join(str(r.randint(0, 9)) for _ in range(15 - len(body)))
    groups = [(body + luhn_digit(body))[i : i + 4] for i in range(0, 16, 4)]
    return ("", " ", "-")[style % 3].join(groups)


def iban(r: random.Random, style: int) -> str:
    """Mod-97-valid IBAN (DE, GB, NL, FR, ES layouts): style 0 compact, 1 grouped by four."""
    country, letters, digits = r.choice(
        (("DE", 0, 18), ("GB", 4, 14), ("NL", 4, 10), ("FR", 0, 23), ("ES", 0, 20))
    )
    bban = "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(letters))
    bban += "".join(str(r.randint(0, 9)) for _ in range(digits))
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    code = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4)) if style % 2 else code


def account_number(r: random.Random, style: int) -> str:
    """Labelled number; digits are 12 (zero-padded), 10, or 4-4-4 joined by dashes by style."""
    label = ("account number", "acct. no.", "account no.")[style * 2 % 3]
    if style % 3 == 0:
        return f"{label} {r.randrange(10**12):012d}"
    if style % 3 == 1:
        return f"{label} {r.randrange(10**9, 10**10)}"
    return label + " " + "-".join(f"{r.randrange(10**4):04d}" for _ in range(3))


# --- document writer --------------------------------------------------------------------------


class Writer:
    """Builds documents and labelled sentences from one seeded random stream."""

    def __init__(self, r: random.Random) -> None:
        self.r = r
        self.scale = {c.ticker: 10 ** r.uniform(2.4, 4.2) * FX[c.currency] for c in COMPANIES}
        self.price = {c.ticker: r.uniform(12, 420) * FX[c.currency] for c in COMPANIES}
        self.used_ids: set[str] = set()

    def company(self, cur: str | None = None, exclude: Company | None = None) -> Company:
        return self.r.choice(
            [c for c in COMPANIES if (cur is None or c.currency == cur) and c != exclude]
        )

    def intro(self, c: Company) -> str:
        return self.r.choices(
            (f"{c.name} ({c.exchange}: {c.ticker})", f"{c.name} (${c.ticker})", c.name), (5, 1, 2)
        )[0]

    def shares(self, c: Company) -> str:
        return self.r.choice(
            (f"{c.ticker} shares", f"shares of {c.short}", f"${c.ticker}", f"{c.short} stock")
        )

    def person(self) -> str:
        return f"{self.r.choice(FIRST)} {self.r.choice(LAST)}"

    def m(self, millions: float, c: Company) -> str:
        return money(self.r, millions, c.currency)

    def px(self, c: Company) -> float:
        return tick(self.price[c.ticker] * self.r.uniform(0.8, 1.2), c.currency)

    def when(self, y: int) -> str:
        return date(self.r, y, self.r.randint(1, 12), self.r.randint(1, 28))

    def base(self, c: Company) -> dict[str, object]:
        """Slots shared by most templates about one company."""
        r = self.r
        return {
            "intro": self.intro(c),
            "short": c.short,
            "shares": self.shares(c),
            "prod": r.choice(PRODUCTS[c.sector]),
            "person": self.person(),
            "region": r.choice(REGIONS),
            "bank": r.choice(BANKS),
            "sector": c.sector,
            "p1": pct(r, r.uniform(1, 30)),
            "p2": pct(r, r.uniform(0.5, 8)),
        }

    def render(self, spec: Spec, slots: dict[str, object]) -> list[str]:
        core, extras = spec
        return assemble(
            self.r,
            [fill(self.r, self.r.choice(core), slots)],
            [fill(self.r, e, slots) for e in extras],
        )

    def doc_earnings(self) -> list[str]:
        r, c = self.r, self.company()
        cur, y, q = c.currency, r.randint(2022, 2025), r.randint(1, 4)
        g = r.uniform(0.5, 28) if r.random() < 0.72 else -r.uniform(0.5, 12)
        up, old = g > 0, self.scale[c.ticker] * r.uniform(0.8, 1.2)
        new, ng = old * (1 + g / 100), g * r.uniform(0.8, 2.0) / 100
        eps, ni = tick(r.uniform(0.3, 3.5) * FX[cur], cur), new * r.uniform(0.05, 0.2)
        adj, beat = moved(eps, r.uniform(0, 0.15), cur), r.random() < (0.75 if up else 0.35)
        widen, gm_d = r.random() < (0.7 if beat else 0.3), r.randint(10, 250)
        guide = "raised" if beat and up else ("lowered" if not (beat or up) else "reaffirmed")
        cum = (
            f"For {period(r, '9m', y)}, revenue totaled {self.m(new * 2.9, c)}."
            if q == 3
            else f"For {period(r, 'h', y)}, revenue totaled {self.m(new * 1.95, c)}."
            if q == 2
            else f"Net income {'rose' if ng > 0 else 'fell'} to {self.m(ni, c)} from "
            f"{self.m(ni / (1 + ng), c)}."
        )
        quotes = (
            (
                "Our teams executed well against a solid demand backdrop",
                "We delivered another quarter of disciplined, profitable growth",
            )
            if up
            else (
                "The quarter was more challenging than we anticipated",
                "We are taking decisive steps to restore growth",
            )
        )
        return self.render(
            EARNINGS,
            self.base(c)
            | {
                "per": period(r, "q", y, q),
                "verb": r.choice(UP if up else DOWN),
                "when": date(r, y + (q == 4), 1 if q == 4 else q * 3 + 1, r.randint(2, 28)),
                "move": pct(r, abs(g)),
                "updown": "up" if up else "down",
                "new": self.m(new, c),
                "old": self.m(old, c),
                "eps": ps(eps, cur),
                "adj": ps(adj, cur),
                "eps_old": ps(moved(eps, -ng, cur), cur),
                "beat": r.choice(
                    ("beat", "topped", "came in ahead of")
                    if beat
                    else ("missed", "fell short of", "trailed")
                ),
                "cons": ps(
                    moved(adj, -r.uniform(0.02, 0.12) if beat else r.uniform(0.02, 0.12), cur), cur
                ),
                "widen": "expanded" if widen else "contracted",
                "gm_d": bps(r, gm_d),
                "gm": pct(r, r.uniform(25, 65)),
                "cum": cum,
                "verb2": r.choice(UP if up else DOWN),
                "guide": guide,
                "prep": "of" if guide == "reaffirmed" else "to a range of",
                "fy": period(r, "fy", y + (q == 4)),
                "lo": self.m(new * 3.88, c),
                "hi": self.m(new * 4.12, c),
                "ocf": self.m(new * r.uniform(0.08, 0.25), c),
                "cash": self.m(new * r.uniform(0.3, 1.2), c),
                "quote": r.choice(quotes),
                "react": "rose" if beat else "fell",
                "p2": pct(r, r.uniform(1, 12)),
            },
        )

    def doc_filing(self) -> list[str]:
        r, c = self.r, self.company()
        y, rev = r.randint(2022, 2025), self.scale[c.ticker] * 4
        slots = self.base(c) | {"fy": period(r, "fy", y)}
        kind = r.choice(("risk", "mdna", "liquidity"))
        if kind == "risk":
            debt, shock = rev * r.uniform(0.05, 0.3), r.choice((50, 100))
            return self.render(
                RISK,
                slots
                | {
                    "ye": date(r, y, 12, 31, business_day=False),
                    "p1": pct(r, r.uniform(18, 55)),
                    "fx_hit": self.m(rev * r.uniform(0.005, 0.03), c),
                    "debt": self.m(debt, c),
                    "shock": bps(r, shock),
                    "cost": self.m(debt * shock / 10000, c),
                    "p2": pct(r, r.uniform(25, 60)),
                },
            )
        if kind == "mdna":
            q, g = r.randint(1, 3), r.choice((-1, 1, 1)) * r.uniform(0.5, 15)
            old = rev / 4 * q * r.uniform(0.9, 1.1)
            om_old, om_d = r.uniform(8, 30), r.uniform(0.3, 4) * (1 if g > 0 else -1)
            sga, sga_g = rev * r.uniform(0.04, 0.08), r.uniform(2, 12)
            return self.render(
                MDNA,
                slots
                | {
                    "per": period(r, "q", y, q),
                    "verb": "increased" if g > 0 else "decreased",
                    "cum_per": period(r, ("q", "h", "9m")[q - 1], y),
                    "new": self.m(old * (1 + g / 100), c),
                    "old": self.m(old, c),
                    "sign": "+" if g > 0 else "-",
                    "move": pct(r, abs(g)),
                    "sga": self.m(sga * sga_g / 100, c),
                    "sga_p": pct(r, sga_g),
                    "om": pct(r, om_old + om_d),
                    "om_old": pct(r, om_old),
                    "om_why": "favorable pricing and cost efficiencies"
                    if om_d > 0
                    else "higher input costs",
                    "tax": pct(r, r.uniform(17, 27)),
                    "backlog": self.m(rev * r.uniform(0.3, 0.9), c),
                    "updown": "up" if g > 0 else "down",
                    "fx_bp": bps(r, r.randint(20, 180)),
                },
            )
        q, buy_n, price = r.randint(1, 4), r.uniform(0.5, 6), self.px(c)
        capex = rev * r.uniform(0.03, 0.08)
        return self.render(
            LIQUIDITY,
            slots
            | {
                "form": "annual report" if q == 4 else "quarterly report",
                "per": period(r, "q", y, q),
                "cash": self.m(rev * r.uniform(0.05, 0.3), c),
                "end": date(r, y, *QUARTER_END[q - 1], business_day=False),
                "revolver": self.m(rev * r.uniform(0.1, 0.3), c),
                "mat": y + r.randint(2, 5),
                "debt": self.m(rev * r.uniform(0.2, 0.9), c),
                "lev": f"{r.uniform(0.4, 3.8):.1f}",
                "lo": self.m(capex * 0.95, c),
                "hi": self.m(capex * 1.1, c),
                "buy_n": f"{buy_n:.1f}",
                "buy_amt": self.m(buy_n * price, c),
                "price": ps(price, c.currency),
            },
        )

    def doc_analyst(self) -> list[str]:
        r, c = self.r, self.company()
        cur, y = c.currency, r.randint(2022, 2025)
        action = r.choice(tuple(ANALYST_CORE))
        tier = {"upgrade": 2, "downgrade": 0}.get(action, r.randint(0, 2))
        bullish = tier == 2 or (tier == 1 and r.random() < 0.5)
        sign = 1 if bullish else -1
        price = self.px(c)
        old_t = moved(price, r.uniform(-0.1, 0.2), cur)
        new_t = moved(old_t, sign * r.uniform(0.04, 0.3), cur)
        gap, e_old = (new_t / price - 1) * 100, tick(r.uniform(0.8, 12) * FX[cur], cur)
        n_cov = r.randint(8, 34)
        extras = tuple(e for e in ANALYST_EXTRAS if action != "initiate" or "{old_t}" not in e)
        base = self.base(c)
        slots = base | {
            "rating": r.choice(RATINGS[tier]),
            "when": self.when(y),
            "surname": r.choice(("", "analyst ")) + str(base["person"]).split()[-1],
            "prev": r.choice(RATINGS[tier] if action == "reiterate" else RATINGS[1]),
            "why": r.choice(
                (
                    f"accelerating demand for its {r.choice(PRODUCTS[c.sector])}",
                    "improving margins",
                    "a stronger balance sheet",
                    f"market-share gains in {r.choice(REGIONS)}",
                )
                if bullish
                else (
                    "slowing order growth",
                    "rising input costs",
                    "elevated inventory levels",
                    "a stretched valuation",
                )
            ),
            "new_t": ps(new_t, cur),
            "old_t": ps(old_t, cur),
            "price": ps(price, cur),
            "tverb": r.choice(
                ("raised", "lifted", "boosted") if bullish else ("cut", "lowered", "trimmed")
            ),
            "side": "upside" if gap > 0 else "downside",
            "gap": pct(r, max(abs(gap), 0.1)),
            "fy": period(r, "fy", y + 1),
            "e_old": ps(e_old, cur),
            "e_new": ps(moved(e_old, sign * r.uniform(0.02, 0.1), cur), cur),
            "updown": "up" if bullish else "down",
            "n_cov": n_cov,
            "view": "attractive at current levels" if bullish else "unfavorable after the rally",
            "n_buy": r.randint(2, n_cov - 2),
            "pe": f"{r.uniform(9, 35):.1f}",
            "peer_pe": f"{r.uniform(10, 30):.1f}",
            "react": "rose" if bullish else "fell",
        }
        return self.render(((ANALYST_CORE[action],), extras), slots)

    def doc_wrap(self) -> list[str]:
        r = self.r
        market, cur, (i1, lo1, hi1), (i2, _, _), bond, (y_lo, y_hi) = r.choice(WRAP_MARKETS)
        up = r.random() < 0.55
        winner, loser = r.sample([c for c in COMPANIES if c.currency == cur], 2)
        return self.render(
            WRAP,
            {
                "market": market,
                "close": "closed higher" if up else "finished lower",
                "when": self.when(r.randint(2022, 2025)),
                "driver": r.choice(
                    (
                        "welcomed softer inflation data",
                        "cheered strong earnings",
                        "bet on lower interest rates",
                    )
                    if up
                    else (
                        "digested a jump in bond yields",
                        "weighed hawkish policy signals",
                        "sold cyclical stocks on growth worries",
                    )
                ),
                "idx1": i1,
                "idx2": i2,
                "verb": "rose" if up else "fell",
                "verb2": r.choice(UP if up else DOWN),
                "p1": pct(r, r.uniform(0.1, 2.2), 2),
                "level": f"{r.uniform(lo1, hi1):,.2f}",
                "p2": pct(r, r.uniform(0.1, 2.8), 2),
                "bond": bond,
                "y_bp": bps(r, r.randint(1, 14)),
                "yld": pct(r, r.uniform(y_lo, y_hi), 2),
                "winner": self.intro(winner),
                "loser": self.shares(loser),
                "p3": pct(r, r.uniform(2, 14)),
                "p4": pct(r, r.uniform(2, 14)),
                "p5": pct(r, r.uniform(0.2, 3.5)),
                "p6": pct(r, r.uniform(0.1, 1.2), 2),
                "oil": f"{r.uniform(68, 96):.2f}",
                "gold": f"{r.uniform(1800, 2600):,.0f}",
                "usdjpy": f"{r.uniform(128, 158):.2f}",
                "lead_sector": r.choice(sorted(PRODUCTS)).capitalize(),
                "lag_sector": r.choice(sorted(PRODUCTS)),
                "move": "advance" if up else "decline",
                "adv": "Advancing" if up else "Declining",
                "dec": "decliners" if up else "advancers",
                "ratio": f"{r.uniform(1.2, 3.4):.1f}",
            },
        )

    def doc_macro(self) -> list[str]:
        r, y, dm = self.r, self.r.randint(2022, 2025), self.r.randint(1, 12)
        qy, q = (y - 1, 4) if dm <= 3 else (y, (dm - 1) // 3)  # last completed quarter
        cb, what, lo, ranged = r.choice(
            (
                (
                    "Federal Reserve",
                    "its benchmark federal funds rate",
                    r.randint(17, 21) * 0.25,
                    True,
                ),
                (
                    "European Central Bank",
                    "its deposit facility rate",
                    r.randint(8, 16) * 0.25,
                    False,
                ),
                ("Bank of England", "Bank Rate", r.randint(14, 21) * 0.25, False),
                ("Bank of Japan", "its short-term policy rate", r.choice((0.1, 0.25, 0.5)), False),
            )
        )
        act = r.choices(("hold", "cut", "raised"), (5, 3, 2))[0]
        if act == "cut" and lo < 0.25:
            act = "hold"
        new = lo + {"hold": 0, "cut": -0.25, "raised": 0.25}[act]

        def rate(x: float) -> str:
            return (
                r.choice(
                    (
                        f"{x:.2f}%\u2013{x + 0.25:.2f}%",
                        f"{x:.2f}%-{x + 0.25:.2f}%",
                        f"a range of {x:.2f}% to {x + 0.25:.2f}%",
                    )
                )
                if ranged
                else f"{x:.2f}%"
            )

        cpi, votes, dissent = r.uniform(1.8, 6.5), r.randint(6, 11), r.randint(1, 3)
        cpi_prev = cpi + r.uniform(0.1, 0.6) * r.choice((1, -1))
        slots = {
            "cb": cb,
            "what": what,
            "act": act,
            "step": bps(r, 25),
            "when": date(r, y, dm, r.randint(1, 28)),
            "old_rate": rate(lo),
            "new_rate": rate(new),
            "mo": MONTHS[dm - 2],
            "vote": r.choice(
                (
                    "The decision was unanimous.",
                    f"Policymakers voted "
                    f"{votes - dissent}\u2013{dissent} in favor of the decision.",
                )
            ),
            "cpi": pct(r, cpi),
            "cpi_prev": pct(r, cpi_prev),
            "cpi_dir": "down" if cpi < cpi_prev else "up",
            "moves": "hikes" if act == "raised" else "cuts",
            "y": y,
            "y1": y + 1,
            "bank": r.choice(BANKS),
            "next_mo": r.choice(MONTHS),
            "y2_bp": bps(r, r.randint(2, 18)),
            "odds": pct(r, r.uniform(20, 85), 0),
            "gdp": pct(r, r.uniform(0.4, 3.4)),
            "per": period(r, "cq", qy, q),
            "unemp": pct(r, r.uniform(3.4, 6.5)),
            "core_cpi": pct(r, cpi * r.uniform(0.7, 1)),
        }
        core = MACRO[0] if act == "hold" else (MACRO_MOVE,)
        return self.render((core, MACRO[1]), slots)

    def doc_mna(self) -> list[str]:
        r, buyer = self.r, self.company()
        target, cur = self.company(buyer.currency, exclude=buyer), buyer.currency
        y, close, prem = r.randint(2022, 2025), self.px(target), r.uniform(12, 55)
        offer = moved(close, prem / 100, cur)
        equity = self.scale[target.ticker] * 4 * r.uniform(1.2, 4)
        net_debt = equity * r.uniform(0.05, 0.6)
        return self.render(
            MNA,
            self.base(buyer)
            | {
                "t_intro": self.intro(target),
                "t_short": target.short,
                "t_shares": self.shares(target),
                "equity": self.m(equity, buyer),
                "offer": ps(offer, cur),
                "prem": pct(r, (offer / close - 1) * 100),
                "close": ps(close, cur),
                "when": self.when(y),
                "net_debt": self.m(net_debt, buyer),
                "ev": self.m(equity + net_debt, buyer),
                "close_per": period(r, "h", y + 1, r.randint(1, 2)),
                "syn": self.m(equity * r.uniform(0.02, 0.06), buyer),
                "fy": period(r, "fy", y + 3),
                "new_debt": self.m(equity * r.uniform(0.2, 0.6), buyer),
                "bank2": r.choice(BANKS),
                "t_jump": pct(r, prem * r.uniform(0.6, 0.95)),
                "combined": self.m(
                    (self.scale[buyer.ticker] + self.scale[target.ticker]) * 4, buyer
                ),
            },
        )

    def doc_credit(self) -> list[str]:
        r, c = self.r, self.company()
        y, rev = r.randint(2022, 2025), self.scale[c.ticker] * 4
        size, i, down = rev * r.uniform(0.05, 0.25), r.randrange(len(CREDIT) - 1), r.random() < 0.5
        cds_old = r.randint(60, 420)
        slots = self.base(c) | {
            "lev": f"{r.uniform(1.2, 5.5):.1f}",
            "per": period(r, "q", y, r.randint(1, 4)),
            "cover": f"{r.uniform(2, 14):.1f}",
            "due": self.m(size * r.uniform(0.3, 1.5), c),
        }
        if r.random() < 0.5:
            return self.render(
                ISSUE,
                slots
                | {
                    "size": self.m(size, c),
                    "mat": y + r.randint(3, 30),
                    "coupon": pct(r, r.uniform(2.5, 8.75), 3),
                    "spread": bps(r, r.randint(70, 380)),
                    "book": self.m(size * r.uniform(2, 5), c),
                    "y1": y + 1,
                    "refi": self.m(size * r.uniform(0.5, 1), c),
                },
            )
        return self.render(
            RATING_ACTION,
            slots
            | {
                "agency": r.choice(AGENCIES),
                "act": "downgraded" if down else "upgraded",
                "new_r": CREDIT[i + down],
                "old_r": CREDIT[i + (not down)],
                "when": self.when(y),
                "why": "weaker cash flow and higher leverage" if down else "steady debt reduction",
                "outlook": "negative" if down else "stable",
                "cds_old": cds_old,
                "cds_verb": "widened" if down else "tightened",
                "cds_new": cds_old + r.randint(8, 50) * (1 if down else -1),
            },
        )

    def doc_capital(self) -> list[str]:
        r, c = self.r, self.company()
        cur, y, price = c.currency, r.randint(2022, 2025), self.px(c)
        old = max(tick(price * r.uniform(0.003, 0.012), cur), tick(0.05 * FX[cur], cur))
        new, m = moved(old, r.uniform(0.02, 0.15), cur), r.randint(1, 10)
        auth = self.scale[c.ticker] * r.uniform(0.5, 3)
        return self.render(
            CAPITAL,
            self.base(c)
            | {
                "div": ps(new, cur),
                "div_old": ps(old, cur),
                "div_up": pct(r, (new / old - 1) * 100),
                "pay": date(r, y, m + 2, r.randint(1, 28)),
                "record": date(r, y, m + 1, r.randint(1, 28)),
                "annual": ps(new * 4, cur),
                "yld": pct(r, new * 4 / price * 100),
                "price": ps(price, cur),
                "auth": self.m(auth, c),
                "auth_old": self.m(auth * r.uniform(0.4, 0.8), c),
                "prev_fy": period(r, "fy", y - 1),
                "returned": self.m(auth * 0.6, c),
                "streak": r.randint(3, 40),
                "lev": f"{r.uniform(2, 3.5):.1f}",
                "p2": pct(r, r.uniform(0.3, 4)),
            },
        )

    def unique(self, make: Callable[[random.Random, int], str], style: int) -> str:
        value = make(self.r, style)
        while value in self.used_ids:
            value = make(self.r, style)
        self.used_ids.add(value)
        return value

    def planted_sentence(self, kind: str, style: int) -> str:
        """A sentence carrying a fresh identifier; style cycles through the surface formats."""
        r = self.r
        make = {"account": account_number, "card": card_number, "iban": iban}[kind]
        return cap(
            fill(
                r,
                r.choice(PLANTS[kind]),
                {
                    "id": self.unique(make, style),
                    "when": self.when(r.randint(2022, 2025)),
                    "amount": money(r, r.uniform(1, 80), "EUR"),
                },
            )
        )


PLANT_HOSTS = {
    "account": ("doc_mna", "doc_capital", "doc_credit"),
    "card": ("doc_filing", "doc_earnings"),
    "iban": ("doc_mna", "doc_capital", "doc_credit"),
}
DOC_KINDS = (
    "doc_earnings",
    "doc_filing",
    "doc_analyst",
    "doc_wrap",
    "doc_macro",
    "doc_mna",
    "doc_credit",
    "doc_capital",
)


def build_corpus(w: Writer) -> tuple[list[str], dict[str, int]]:
    """Generate documents (kinds shuffled in blocks of eight) to the size target, then plant IDs."""
    docs: list[list[str]] = []
    kinds: list[str] = []
    planted: set[int] = set()
    size, order = 0, list(DOC_KINDS)
    while size < TARGET_CORPUS_BYTES:
        if len(docs) % len(order) == 0:
            w.r.shuffle(order)
        kinds.append(order[len(docs) % len(order)])
        docs.append(getattr(w, kinds[-1])())
        size += len(" ".join(docs[-1]).encode()) + 1
    counts = dict.fromkeys(PLANTS, 0)
    for n in range(round(len(docs) / PLANT_EVERY)):
        kind = tuple(PLANTS)[n % len(PLANTS)]
        hosts = [i for i, k in enumerate(kinds) if k in PLANT_HOSTS[kind] and i not in planted]
        i = w.r.choice(hosts)
        planted.add(i)
        if len(docs[i]) >= 8:
            docs[i].pop(w.r.randint(1, len(docs[i]) - 1))
        docs[i].insert(w.r.randint(1, len(docs[i])), w.planted_sentence(kind, counts[kind]))
        counts[kind] += 1
    return [" ".join(doc) for doc in docs], counts


# --- labelled sentiment sentences -------------------------------------------------------------

BEAT = "[beat|topped|exceeded|came in well ahead of|surpassed]"
MISS = "[missed|fell short of|came in below|missed|did not meet]"
LABEL_TEMPLATES = {
    "positive": (
        "{co} posted earnings for {per} that " + BEAT + " analyst forecasts, and the shares "
        "[jumped|surged|climbed|rallied] {p}.",
        "{bank} upgraded {co} to {good} from {mid}, saying the outlook for {prod} has "
        "[improved|brightened|strengthened].",
        "{co} raised its {fy} revenue forecast to {annual}, citing "
        "[robust|strong|resilient|healthy] demand for its {prod}.",
        "{co} shares hit a record high after the company won a {amt} contract in {region}.",
        "{co} lifted its quarterly dividend by {p}, its {n}th consecutive annual increase.",
        "{agency} upgraded {co} to {hi_cr} from {lo_cr}, noting a sharp drop in leverage.",
        "Operating losses at {co} narrowed in {per}, and management now expects a profit in {fy}.",
        "{co_s} net debt fell by {amt} as free cash flow reached an all-time high.",
        "Margins at {co} widened by {b} as cost cuts took hold, lifting profit above expectations.",
        "{co} no longer expects sales to shrink in {fy} and now sees growth of up to {p}.",
        "Investors [applauded|welcomed|cheered] {co_s} plan to buy back as much as {amt} of its "
        "own stock.",
        "{co} reported its best quarterly order intake on record, with bookings up {p}.",
        "Demand for {co_s} {prod} recovered faster than expected, and {bank} lifted its target to "
        "{t_hi} from {t_lo}.",
        "Same-store sales at {co} [jumped|surged|climbed] {p}, far outpacing the industry.",
        "{co} swung to a net profit of {profit} in {per} from a loss a year earlier.",
    ),
    "negative": (
        "{co} " + MISS + " profit estimates for {per} as {cause}, and the stock "
        "[slumped|tumbled|sank|slid] {p}.",
        "{bank} downgraded {co} to {bad} from {mid}, warning that [margins are likely to erode "
        "further|inventory levels remain too high|competition is eroding market share].",
        "{co} cut its {fy} outlook and now expects revenue of no more than {annual}.",
        "{co} shares sank to a multi-year low after the company disclosed a regulatory probe.",
        "{co} suspended its dividend to conserve cash after losses in {per} widened to {amt}.",
        "{agency} downgraded {co} to {lo_cr} from {hi_cr}, citing [weak|soft|deteriorating] cash "
        "flow.",
        "{co} missed a scheduled {coupon} coupon payment and entered a 30-day grace period.",
        "Raw-material costs rose {p} at {co}, squeezing gross margin by {b}.",
        "{co} plans to eliminate {jobs} jobs as orders for its {prod} dried up.",
        "{co_s} bonds slid to {cents} cents on the dollar as investors questioned its ability to "
        "refinance.",
        "Auditors flagged a material weakness at {co}, and the company delayed its annual report.",
        "{co} took a {amt} impairment charge on its {prod} business and swung to a net loss.",
        "Same-store sales at {co} [dropped|fell|declined] {p}, the {n}th straight quarterly "
        "decline.",
        "{co} warned that {fy} earnings will fall well short of consensus because of "
        "[weak|soft|sluggish|disappointing] demand in {region}.",
        "{co} posted a record quarterly loss of {amt} as {cause}.",
    ),
    "neutral": (
        "{co} will report results for {per} on {filed} before the market opens.",
        "{co} declared a regular quarterly dividend of {dps} per share, unchanged from the prior "
        "quarter.",
        "{bank} reiterated its {mid} rating on {co} with a price target of {t_lo}.",
        "{co} appointed {person} as chief financial officer, effective {date}.",
        "{co} filed its quarterly report on Form 10-Q for {per} on {filed}.",
        "{co} shares closed unchanged at {t_lo} on {date}.",
        "{co} will hold its annual shareholder meeting on {date}.",
        "{co} reported revenue of {qrev} for {per}, in line with analyst estimates.",
        "{co} did not change its {fy} outlook, which calls for revenue of about {annual}.",
        "{co} priced {amt} of senior notes due {year} with a coupon of {cp}.",
        "The board of {co} set {date} as the record date for its next dividend.",
        "{co} employs about {staff} people across {n} countries.",
        "{agency} affirmed the {hi_cr} rating of {co} with a stable outlook.",
        "{co} will present at the {bank} {sector} conference on {date}.",
        "{co} completed the previously announced sale of its {prod} unit for {amt}, as scheduled.",
    ),
}


def label_sentence(w: Writer, label: str) -> str:
    """One sentence whose sentiment follows from its meaning (see LABEL_TEMPLATES)."""
    r, c, q = w.r, w.company(), w.r.randint(1, 4)
    cur, y, t_lo, hi = c.currency, r.randint(2022, 2025), w.px(c), r.randrange(len(CREDIT) - 1)
    name = r.choice((c.name, c.short))
    slots: dict[str, object] = {
        "co": r.choice((c.name, c.name, c.short, f"{c.name} ({c.exchange}: {c.ticker})")),
        "co_s": name + ("'" if name.endswith("s") else "'s"),
        "sector": c.sector,
        "per": period(r, "q", y, q),
        "fy": period(r, "fy", y),
        "filed": date(r, y + (q == 4), 1 if q == 4 else q * 3 + 1, r.randint(5, 28)),
        "profit": w.m(w.scale[c.ticker] * r.uniform(0.02, 0.15), c),
        "bank": r.choice(BANKS),
        "agency": r.choice(AGENCIES),
        "p": pct(r, r.uniform(2, 25)),
        "b": bps(r, r.randint(20, 300)),
        "amt": w.m(w.scale[c.ticker] * r.uniform(0.05, 1.5), c),
        "qrev": w.m(w.scale[c.ticker] * r.uniform(0.85, 1.15), c),
        "annual": w.m(w.scale[c.ticker] * r.uniform(3.6, 4.4), c),
        "coupon": w.m(w.scale[c.ticker] * r.uniform(0.005, 0.03), c),
        "prod": r.choice(PRODUCTS[c.sector]),
        "region": r.choice(REGIONS),
        "n": r.randint(4, 12),
        "good": r.choice(RATINGS[2]),
        "mid": r.choice(RATINGS[1]),
        "bad": r.choice(RATINGS[0]),
        "t_lo": ps(t_lo, cur),
        "t_hi": ps(moved(t_lo, r.uniform(0.05, 0.3), cur), cur),
        "hi_cr": CREDIT[hi],
        "lo_cr": CREDIT[hi + 1],
        "jobs": f"{r.randint(2, 60) * 100:,}",
        "cents": r.randint(38, 79),
        "date": w.when(y),
        "person": w.person(),
        "year": y + r.randint(3, 20),
        "cp": pct(r, r.uniform(3, 7.5), 3),
        "staff": f"{r.randint(3, 90) * 1000:,}",
        "dps": ps(tick(r.uniform(0.1, 1.5) * FX[cur], cur), cur),
        "cause": r.choice(
            ("costs climbed", "demand faltered", "pricing pressure intensified", "volumes dropped")
        ),
    }
    return cap(fill(r, r.choice(LABEL_TEMPLATES[label]), slots))


def build_labels(w: Writer) -> list[tuple[str, str]]:
    """LABEL_ROWS_PER_CLASS unique sentences per class, shuffled."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for label in LABEL_TEMPLATES:
        target = len(rows) + LABEL_ROWS_PER_CLASS
        while len(rows) < target:
            text = label_sentence(w, label)
            if text not in seen:
                seen.add(text)
                rows.append((text, label))
    w.r.shuffle(rows)
    return rows


# --- labelled sentences whose sentiment needs context -----------------------------------------

# context_labels.csv: is the news good (``positive``) or bad (``negative``) for the company?
# Every template is filled with the same words in both classes; only their arrangement differs:
# which verb goes with which noun ("raised its revenue outlook and lowered its forecast for
# interest expense" or the reverse), which way a metric moved for what kind of metric ("net
# debt fell" is good news, "revenue fell" is not), which action is the new one ("upgraded ...,
# months after it downgraded the stock"), and which verb a "not" denies. No single word, and no
# bag of words, tells the classes apart. The sentences reuse the corpus's companies, banks,
# periods, metrics, ratings and verbs; they are drawn from their own seeded stream, so corpus.txt
# and labels.csv do not change.
CONTEXT_ROWS_PER_CLASS = 200
CONTEXT_STREAM = 1_000_003  # added to the seed: a stream of its own
GOOD_METRICS = ("revenue", "net sales", "operating cash flow", "backlog", "net income",
                "gross margin", "operating margin")  # fmt: skip
BAD_METRICS = ("net debt", "net leverage", "interest expense", "operating costs",
               "capital expenditures", "selling, general and administrative expenses")  # fmt: skip
COST_FORECASTS = ("interest expense", "operating costs", "net leverage", "capital expenditures")
DIRECTIONS = (("rose", "fell"), ("increased", "decreased"), ("climbed", "declined"),
              ("grew", "slipped"))  # fmt: skip
GUIDE_VERBS = (("raised", "lowered"), ("increased", "cut"))
RATING_PAIRS = tuple(
    (family[hi], family[lo])
    for family in zip(*RATINGS, strict=True)
    for hi, lo in ((2, 1), (1, 0), (2, 0))
)  # (higher, lower) rating of one family: ("Buy", "Hold"), ("Hold", "Sell"), ...


def context_sentence(w: Writer) -> tuple[str, str]:
    """One sentence and its label; each template's switches are drawn uniformly, so every
    word is as likely in a positive sentence as in a negative one."""
    r, c = w.r, w.company()
    y, q = r.randint(2022, 2025), r.randint(1, 4)
    name = r.choice((c.name, c.short))
    up, down = r.choice(GUIDE_VERBS)
    good_first = r.random() < 0.5
    slots: dict[str, object] = {
        "co": r.choice((c.name, c.name, c.short, f"{c.name} ({c.exchange}: {c.ticker})")),
        "co_s": name + ("'" if name.endswith("s") else "'s"),
        "fy": period(r, "fy", y),
        "prev_fy": period(r, "fy", y - 1),
        "per": period(r, "q", y, q),
        "when": w.when(y),
        "bank": r.choice(BANKS),
        "p": pct(r, r.uniform(1, 25)),
        "n": r.randint(3, 18),
        "dps": ps(tick(r.uniform(0.1, 1.5) * FX[c.currency], c.currency), c.currency),
        "v1": up if good_first else down,
        "v2": down if good_first else up,
        "cost": r.choice(COST_FORECASTS),
    }
    kind = r.randrange(6)
    if kind == 0:  # which verb goes with revenue, which with a cost
        template = "{co} {v1} its {fy} revenue outlook and {v2} its forecast for {cost} on {when}."
        positive = good_first
    elif kind == 1:  # a metric's direction, and whether that metric is good to have more of
        good = r.random() < 0.5
        rose = r.random() < 0.5
        slots["metric"] = r.choice(GOOD_METRICS if good else BAD_METRICS)
        slots["verb"] = r.choice(DIRECTIONS)[0 if rose else 1]
        template = "{co_s} {metric} {verb} {p} in {per} [from a year earlier|year over year]."
        positive = good == rose
    elif kind == 2:  # the same comparison, stated as an expectation
        good = r.random() < 0.5
        higher = r.random() < 0.5
        slots["metric"] = r.choice(GOOD_METRICS if good else BAD_METRICS)
        slots["dir"] = "higher" if higher else "lower"
        template = "{co} expects {metric} in {fy} to be {dir} than in {prev_fy}."
        positive = good == higher
    elif kind == 3:  # which rating change is the new one
        hi, lo = r.choice(RATING_PAIRS)
        template = (
            "{bank} upgraded {co} to {hi} from {lo} on {when}, {n} months after it downgraded "
            "the stock."
            if good_first
            else "{bank} downgraded {co} to {lo} from {hi} on {when}, {n} months after it "
            "upgraded the stock."
        )
        slots |= {"hi": hi, "lo": lo}
        positive = good_first
    elif kind == 4:  # which dividend action is the new one
        template = (
            "{co} {v1} its quarterly dividend to {dps} per share on {when}, {n} years after it "
            "{v2} the payout."
        )
        positive = good_first
    else:  # which verb the "not" denies
        template = "{co} {v1}, not {v2}, its {fy} revenue outlook on {when}."
        positive = good_first
    return cap(fill(r, template, slots)), "positive" if positive else "negative"


def build_context_labels(seed: int = 0) -> list[tuple[str, str]]:
    """CONTEXT_ROWS_PER_CLASS unique sentences per class, shuffled."""
    w = Writer(random.Random(seed + CONTEXT_STREAM))
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    counts = {"positive": 0, "negative": 0}
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
    """Write corpus.txt and labels.csv into out_dir; return summary statistics."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    docs, planted = build_corpus(Writer(rng))
    corpus = "".join(doc + "\n" for doc in docs).encode("utf-8")
    (out_dir / "corpus.txt").write_bytes(corpus)
    rows = build_labels(Writer(rng))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("text", "label"))
    writer.writerows(rows)
    (out_dir / "labels.csv").write_bytes(buf.getvalue().encode("utf-8"))
    context = build_context_labels(seed)
    write_rows(out_dir / "context_labels.csv", ("text", "label"), context)
    return {
        "docs": len(docs),
        "corpus_bytes": len(corpus),
        "label_rows": len(rows),
        "context_label_rows": len(context),
        "planted": planted,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(main(args.out_dir, args.seed))
