"""Generate the embedded legal sample corpus and clause-type set for ``ssl-domains``.

``ssl-domains pretrain --domain legal`` falls back on these files when no corpus is given:

* ``corpus.txt``: one synthetic document per line, most of them long (1,000-4,000 words):
  commercial contracts (a definitions article with quoted defined terms, articles, numbered
  sections ``Section 4.2``, clauses ``(a)`` and sub-clauses ``(ii)``), statutes of an invented
  state (``§ 14-903``, subsections ``(a)(1)(A)``), federal appellate opinions (case citations
  ``Okonkwo v. Marrowgate Software Ltd., 612 F.3d 1104, 1109 (9th Cir. 2010)``, ``Id. at
  1110``, ``42 U.S.C. § 1983``, ``Fed. R. Civ. P. 12(b)(6)``), regulations (``17 C.F.R.
  § 240.10b-5`` style parts and sections), and a few short orders and amendments. Citations
  and references appear in the variant spellings the normaliser folds (``Sec. 4.2``,
  ``42 USC 1983``, ``§1983``, ``F. 3d``, ``FRCP 12(b)(6)``, curly quotes).
* ``labels.csv``: contract clauses labelled ``confidentiality``, ``termination``,
  ``indemnification``, ``governing_law`` or ``payment`` (``text,label``). Templates avoid
  giving any class a keyword of its own: confidentiality clauses that never say
  "confidential", payment clauses that mention termination, and so on.
* ``context_labels.csv``: clauses labelled with the party they bind, ``provider`` or
  ``customer``, whose words are the same in both classes (see ``context_clause``).

The universe is fixed: a dozen companies contract with each other under the same clause
families; opinions cite one fixed set of precedents, each always for the same proposition
and at the same reporter citation; statutes and regulations are numbered consistently.
Real citation formats and a few real provisions cited for their real subject (42 U.S.C.
§ 1983, Rule 10b-5, Fed. R. Civ. P. 12(b)(6) and 56, 28 U.S.C. § 1332) are used; every
party, case, judge, court opinion, statute of the State of Ardenne and regulation part is
invented. Standard library only; a given seed always produces byte-identical output.

Usage: python generate.py [--out-dir DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
from dataclasses import dataclass
from pathlib import Path

TARGET_CORPUS_BYTES = 360_000
LABEL_ROWS_PER_CLASS = 100
ALTERNATIVES = re.compile(r"\[([^\[\]]*)\]")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
LETTERS = "abcdefghijklmnop"
SMALL_ROMAN = ("i", "ii", "iii", "iv", "v", "vi")

# --- the universe -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Company:
    name: str
    short: str
    kind: str
    state: str


COMPANIES = (
    Company("Halvorsen Biologics, Inc.", "Halvorsen", "corporation", "Delaware"),
    Company("Quayside Logistics LLC", "Quayside", "limited liability company", "New York"),
    Company("Marrowgate Software Ltd.", "Marrowgate", "corporation", "California"),
    Company("Tessaline Semiconductor Corp.", "Tessaline", "corporation", "Delaware"),
    Company("Brightwater Health Systems, Inc.", "Brightwater", "corporation", "Ardenne"),
    Company("Pellham Retail Group, Inc.", "Pellham", "corporation", "Illinois"),
    Company("Osterwald Energy Partners, L.P.", "Osterwald", "limited partnership", "Texas"),
    Company("Lindqvist Design Studio LLC", "Lindqvist", "limited liability company", "New York"),
    Company("Corvane Therapeutics, Inc.", "Corvane", "corporation", "Delaware"),
    Company("Northline Freight Co.", "Northline", "corporation", "Illinois"),
    Company("Ardley Capital Management LLC", "Ardley", "limited liability company", "Ardenne"),
    Company("Fenwright Insurance Company", "Fenwright", "corporation", "Texas"),
)
VENUES = {
    "Delaware": "Wilmington, Delaware",
    "New York": "New York County, New York",
    "California": "San Francisco County, California",
    "Illinois": "Cook County, Illinois",
    "Texas": "Travis County, Texas",
    "Ardenne": "the City of Port Ellery, Ardenne",
}
SIGNERS = ("Dana Whitcombe", "Marcus Ferreira", "Priya Desai", "Tomas Brandt", "Helen Ashby",
           "Rafael Moreau", "Olivia Halloran", "Gareth Lindgren", "Ines Castillo",
           "Samuel Kowalski")  # fmt: skip
TITLES = ("Chief Executive Officer", "General Counsel", "Chief Financial Officer", "President",
          "Vice President, Legal")  # fmt: skip


@dataclass(frozen=True)
class ContractKind:
    title: str
    p1: str  # the party that provides
    p2: str  # the party that pays
    deliv: str  # what is provided, as a defined term
    scope: tuple[str, ...]  # the operative article's sentences


CONTRACTS = (
    ContractKind(
        "Master Services Agreement",
        "Provider",
        "Customer",
        "Deliverables",
        (
            "{P1} shall perform the Services described in each Statement of Work executed by "
            "the parties, each of which shall be incorporated into this Agreement by reference.",
            "Each Statement of Work shall describe the Services, the Deliverables, the "
            "applicable milestones and the Fees.",
            "{P1} shall perform the Services in a professional and workmanlike manner, using "
            "personnel with the skills and experience reasonably required.",
            "{P2} shall provide {P1} with timely access to its facilities, systems and personnel "
            "as reasonably required for the performance of the Services.",
            "Any change to the scope of the Services shall be documented in a written change "
            "order signed by both parties.",
            "{P1} may engage subcontractors to perform the Services, provided that {P1} remains "
            "responsible for their performance.",
        ),
    ),
    ContractKind(
        "Software License Agreement",
        "Licensor",
        "Licensee",
        "Licensed Software",
        (
            "Subject to the terms of this Agreement, {P1} grants {P2} a non-exclusive, "
            "non-transferable license during the Term to install and use the Licensed "
            "Software solely for its internal business purposes.",
            "{P2} shall not (i) copy the Licensed Software except for one backup copy, (ii) "
            "decompile or reverse engineer it, or (iii) sublicense or rent it to any third "
            "party.",
            "{P1} shall provide the maintenance and support services described in Exhibit A, "
            "including all updates that {P1} makes generally available.",
            "All rights not expressly granted in this Section are reserved by {P1}.",
            "{P2} may permit its Affiliates to use the Licensed Software, provided that {P2} "
            "remains responsible for their compliance with this Agreement.",
        ),
    ),
    ContractKind(
        "Supply Agreement",
        "Supplier",
        "Buyer",
        "Products",
        (
            "{P1} shall sell and {P2} shall purchase the Products in the quantities set forth "
            "in each Purchase Order accepted by {P1}.",
            "{P1} shall deliver the Products FCA {P1}'s facility, and title and risk of loss "
            "shall pass to {P2} upon delivery to the carrier.",
            "{P2} shall inspect the Products within ten Business Days after delivery and notify "
            "{P1} of any nonconformity with the Specifications.",
            "{P2} shall provide {P1} with a rolling twelve-month forecast, the first three "
            "months of which shall be binding.",
            "{P1} shall maintain a safety stock of Products sufficient for at least sixty days "
            "of forecast demand.",
        ),
    ),
    ContractKind(
        "Consulting Agreement",
        "Consultant",
        "Company",
        "Work Product",
        (
            "{P1} shall provide the consulting services described in Exhibit A as an "
            "independent contractor and not as an employee of {P2}.",
            "{P1} shall determine the method, details and means of performing the Services.",
            "All Work Product shall be deemed work made for hire, and to the extent it is not, "
            "{P1} hereby assigns to {P2} all right, title and interest in it.",
            "{P1} shall not engage in any activity that conflicts with its obligations to {P2} "
            "during the Term.",
            "{P1} shall keep accurate records of the time spent performing the Services.",
        ),
    ),
)

# Defined terms and their definitions; {P1}/{P2} are the parties' roles.
DEFINITIONS = {
    "Affiliate": "means any entity that directly or indirectly controls, is controlled by, or "
    "is under common control with a party, where control means ownership of more than fifty "
    "percent of the voting interests of the entity",
    "Business Day": "means any day other than a Saturday, a Sunday or a day on which banks in "
    "{city} are authorized or required to close",
    "Change of Control": "means any transaction or series of transactions by which a person "
    "acquires control of a party or of all or substantially all of its assets",
    "Confidential Information": "means all non-public information disclosed by or on behalf of "
    "a party (the \u201cDisclosing Party\u201d) to the other party (the \u201cReceiving "
    "Party\u201d), whether orally or in writing, that is designated as confidential or that "
    "reasonably should be understood to be confidential",
    "Effective Date": "has the meaning set forth in the preamble",
    "Fees": "means the fees set forth in Exhibit B or in the applicable Statement of Work",
    "Intellectual Property Rights": "means all patents, copyrights, trademarks, trade secrets "
    "and other intellectual property rights throughout the world",
    "Losses": "means all losses, damages, liabilities, deficiencies, judgments, interest, "
    "awards, penalties, fines, costs and expenses, including reasonable attorneys' fees",
    "Personal Data": "means any information relating to an identified or identifiable natural "
    "person that is processed in connection with this Agreement",
    "Statement of Work": "means a document executed by both parties that describes the "
    "Services to be performed and references this Agreement",
    "Term": "has the meaning set forth in Section {term_sec}",
    "Territory": "means the United States and Canada",
    "Specifications": "means the specifications for the Products set forth in Exhibit A, as "
    "amended from time to time by written agreement of the parties",
    "Force Majeure Event": "means any event beyond the reasonable control of a party, "
    "including fire, flood, epidemic, war, terrorism, strike or governmental action",
    "Documentation": "means the user manuals and technical specifications for the Licensed "
    "Software that {P1} makes available to {P2}",
}
KIND_DEFINITIONS = {
    "Deliverables": "means all documents, software and other materials that {P1} delivers to "
    "{P2} under a Statement of Work",
    "Licensed Software": "means the object code version of the software products listed in "
    "Exhibit A, together with the Documentation and all updates provided under this Agreement",
    "Products": "means the goods listed in Exhibit A that conform to the Specifications",
    "Work Product": "means all inventions, works of authorship and deliverables that {P1} "
    "creates in performing the Services",
    "Services": "means the services that {P1} performs for {P2} under this Agreement",
    "Purchase Order": "means a written order for Products issued by {P2} and accepted by {P1}",
}

# Clause families. The five labelled ones fill both contracts and labels.csv.
CLAUSES: dict[str, tuple[str, ...]] = {
    "confidentiality": (
        "The {recv} shall hold all Confidential Information of the {disc} in strict "
        "confidence and shall not disclose it to any third party without the {disc}'s prior "
        "written consent.",
        "Neither party shall use the other party's non-public business, technical or financial "
        "information for any purpose other than performing its obligations under this "
        "Agreement.",
        "The {recv} may share the {disc}'s information only with its employees, officers and "
        "professional advisers who need to know it and who are bound by written obligations of "
        "secrecy no less protective than those in this Section {sec}.",
        "Confidential Information does not include information that (a) is or becomes "
        "generally available to the public other than through a breach of this Agreement, (b) "
        "was known to the {recv} before disclosure, or (c) is independently developed without "
        "use of the {disc}'s information.",
        "If the {recv} is required by law, regulation or court order to reveal any protected "
        "information, it shall give the {disc} prompt written notice so that the {disc} may "
        "seek a protective order.",
        "Upon the {disc}'s written request, and in any event within {days} days after this "
        "Agreement ends, the {recv} shall return or destroy all documents and copies "
        "containing the {disc}'s proprietary information.",
        "The obligations of this Section {sec} shall survive termination or expiration of this "
        "Agreement for a period of {years} years.",
        "Each party acknowledges that unauthorized use of the other party's trade secrets would "
        "cause irreparable harm for which monetary damages would be an inadequate remedy, and "
        "that the injured party may seek injunctive relief without posting a bond.",
        "The {recv} shall protect the {disc}'s proprietary materials using at least the same "
        "degree of care it uses to protect its own information of like kind, and in no event "
        "less than reasonable care.",
        "Nothing in this Agreement permits the {recv} to publish, reverse engineer or "
        "commercially exploit the source code, pricing or customer lists of the {disc}.",
        "The terms of this Agreement, including the Fees, shall be kept secret and shall not "
        "be revealed by either party except to its auditors, lenders and legal counsel.",
        "Personal Data received from the {disc} shall be processed only on its documented "
        "instructions, and every person authorized to access it shall be bound by a duty of "
        "secrecy.",
        "{P1} shall not issue any press release or public announcement concerning this "
        "Agreement or {P2} without {P2}'s prior written approval.",
    ),
    "termination": (
        "Either party may terminate this Agreement for convenience upon {days} days' prior "
        "written notice to the other party.",
        "Either party may terminate this Agreement immediately by written notice if the other "
        "party materially breaches it and fails to cure the breach within {days} days after "
        "receiving notice describing it.",
        "This Agreement shall commence on the Effective Date and continue for an initial term "
        "of {years} years, after which it shall renew automatically for successive one-year "
        "periods unless either party gives notice of non-renewal at least {days} days before "
        "the end of the then-current term.",
        "{P1} may end this Agreement at once if {P2} becomes insolvent, makes a general "
        "assignment for the benefit of creditors, or becomes the subject of any bankruptcy "
        "proceeding.",
        "Upon expiration or termination of this Agreement for any reason, (a) all licenses "
        "granted hereunder shall cease, (b) {P2} shall pay all Fees accrued through the date "
        "of termination, and (c) each party shall return the other party's Confidential "
        "Information.",
        "Sections {sec}, {sec2} and {sec3} shall survive the expiration or earlier termination "
        "of this Agreement.",
        "If a Force Majeure Event continues for more than {days} consecutive days, the party "
        "not affected may cancel this Agreement without liability upon written notice.",
        "{P1} may cancel this Agreement if {P2} fails to pay any undisputed invoice within "
        "{days} days after written notice that the invoice is overdue.",
        "This Agreement will expire automatically upon completion of the Services described in "
        "the final Statement of Work unless the parties extend it by a written amendment.",
        "Following any notice of non-renewal, {P1} shall provide reasonable transition "
        "assistance for up to {months} months at its then-current rates.",
        "A Change of Control of either party shall entitle the other party to bring this "
        "Agreement to an end by giving {days} days' written notice within {months} months "
        "after the Change of Control.",
        "Termination shall not relieve either party of any obligation accrued before the "
        "effective date of termination, nor prejudice any other right or remedy.",
        "The Term shall be {years} years from the Effective Date, unless ended earlier in "
        "accordance with this Article.",
    ),
    "indemnification": (
        "{P1} shall indemnify, defend and hold harmless {P2} and its Affiliates, officers, "
        "directors and employees from and against all Losses arising out of any third-party "
        "claim alleging that the {deliv} infringe any patent, copyright or trade secret.",
        "Each party shall defend the other party against any claim brought by a third party "
        "to the extent arising from the defending party's gross negligence or willful "
        "misconduct, and shall pay any damages finally awarded.",
        "{P2} shall reimburse {P1} for all losses, liabilities, costs and reasonable attorneys' "
        "fees incurred in connection with any claim that {P2}'s misuse of the {deliv} caused "
        "personal injury or property damage.",
        "The party seeking protection shall (a) give the other party prompt written notice of "
        "the claim, (b) permit it to control the defense and settlement of the claim, and (c) "
        "provide reasonable cooperation at the other party's expense.",
        "The indemnifying party shall not settle any claim in a manner that imposes an "
        "obligation on the indemnified party without its prior written consent.",
        "If the {deliv} become, or in {P1}'s opinion are likely to become, the subject of an "
        "infringement claim, {P1} may at its option procure the right for {P2} to continue "
        "using them, modify them to be non-infringing, or refund the Fees paid for them.",
        "{P1} has no obligation to hold {P2} harmless for claims arising from combinations of "
        "the {deliv} with products not supplied by {P1}.",
        "Each party will protect the other from all third-party claims, fines and penalties "
        "resulting from its breach of Section {sec}, including any unauthorized disclosure of "
        "Personal Data.",
        "The obligations in this Article shall be {P2}'s sole and exclusive remedy for any "
        "third-party claim of infringement.",
        "{P2} agrees to compensate {P1} for any loss, damage or expense, including court "
        "costs, that {P1} suffers as a result of claims by {P2}'s customers relating to the "
        "resale of the {deliv}.",
        "The protection afforded by this Section {sec} survives termination of this Agreement "
        "and applies whether the third-party claim is asserted before or after the Agreement "
        "ends.",
        "Any amounts owed under this Section {sec} shall be paid within {days} days after a "
        "final judgment or settlement of the underlying third-party claim.",
    ),
    "governing_law": (
        "This Agreement shall be governed by and construed in accordance with the laws of the "
        "State of {state}, without giving effect to any choice or conflict of law rule.",
        "Each party irrevocably submits to the exclusive jurisdiction of the state and federal "
        "courts located in {venue} for any action arising out of or relating to this "
        "Agreement.",
        "The United Nations Convention on Contracts for the International Sale of Goods shall "
        "not apply to this Agreement.",
        "Any dispute arising out of or relating to this Agreement shall be finally resolved by "
        "binding arbitration under the Commercial Arbitration Rules of the American "
        "Arbitration Association, and the seat of arbitration shall be {venue}.",
        "The interpretation, validity and performance of this Agreement are subject to the "
        "substantive law of {state}, excluding its conflict-of-laws principles.",
        "Venue for any proceeding to enforce this Agreement shall lie exclusively in {venue}, "
        "and each party waives any objection based on inconvenient forum.",
        "EACH PARTY HEREBY WAIVES ITS RIGHT TO A TRIAL BY JURY IN ANY PROCEEDING ARISING OUT OF "
        "OR RELATED TO THIS AGREEMENT.",
        "Notwithstanding the foregoing forum selection, either party may seek injunctive relief "
        "in any court of competent jurisdiction to protect its Confidential Information.",
        "Questions concerning the construction of this Agreement will be determined under the "
        "internal laws of {state}, and judgment on any arbitral award may be entered in any "
        "court having jurisdiction.",
        "Before commencing litigation, the parties shall attempt in good faith to resolve any "
        "dispute through negotiation between executives for {days} days, after which either "
        "party may proceed in the courts of {venue}.",
        "Any claim for payment under this Agreement, and any defense to it, shall be decided "
        "under the laws of {state}.",
        "A party that prevails in any action brought in the courts of {venue} to enforce this "
        "Agreement may recover its reasonable costs of suit from the other party.",
    ),
    "payment": (
        "{P2} shall pay all Fees set forth in each Statement of Work within {days} days after "
        "the date of {P1}'s invoice.",
        "Invoices not paid when due shall bear interest at the lesser of {rate}% per month or "
        "the maximum rate permitted by applicable law.",
        "All amounts are stated and payable in United States dollars by wire transfer to the "
        "account designated in writing by {P1}.",
        "{P2} shall reimburse {P1} for reasonable, pre-approved travel and out-of-pocket "
        "expenses incurred in performing the Services, supported by receipts.",
        "The Fees are exclusive of sales, use, value-added and similar taxes, which {P2} shall "
        "bear, other than taxes based on {P1}'s net income.",
        "If {P2} disputes any invoice in good faith, it shall notify {P1} in writing within "
        "{days} days of receipt and settle the undisputed portion when due.",
        "{P1} may increase its rates once per contract year upon {days} days' notice, by no "
        "more than the percentage change in the Consumer Price Index.",
        "{P2} will remit the annual license fee of ${amount} in advance on the Effective Date "
        "and on each anniversary of it.",
        "Late charges shall accrue on any overdue balance, and {P1} may suspend the Services "
        "until all past-due amounts are received.",
        "Upon termination, {P2} shall compensate {P1} for all Services performed through the "
        "effective date of termination, and {P1} shall refund any prepaid Fees for Services not "
        "performed.",
        "No deduction or set-off may be made from any sum due to {P1} except as expressly "
        "permitted by this Agreement.",
        "The price of each item shall be the price listed in Exhibit B, and {P1} shall issue "
        "an invoice upon shipment.",
        "Milestone amounts of ${amount} each become due upon {P2}'s written acceptance of the "
        "corresponding {deliv}.",
    ),
    "warranties": (
        "Each party represents and warrants that it is duly organized, validly existing and in "
        "good standing under the laws of its jurisdiction of organization.",
        "Each party represents that it has full corporate power and authority to enter into "
        "and perform this Agreement.",
        "{P1} warrants that the {deliv} will conform in all material respects to the "
        "applicable specifications for a period of {days} days after delivery.",
        "{P1} warrants that it will comply with all applicable laws in performing its "
        "obligations under this Agreement.",
        "EXCEPT AS EXPRESSLY SET FORTH IN THIS SECTION {sec}, NEITHER PARTY MAKES ANY OTHER "
        "WARRANTY, EXPRESS OR IMPLIED, INCLUDING ANY IMPLIED WARRANTY OF MERCHANTABILITY OR "
        "FITNESS FOR A PARTICULAR PURPOSE.",
        "{P2}'s exclusive remedy for breach of the warranty in Section {sec} shall be the "
        "repair or replacement of the nonconforming {deliv}.",
    ),
    "liability": (
        "IN NO EVENT SHALL EITHER PARTY BE LIABLE FOR ANY INDIRECT, INCIDENTAL, CONSEQUENTIAL, "
        "SPECIAL OR PUNITIVE DAMAGES, INCLUDING LOST PROFITS, ARISING OUT OF THIS AGREEMENT.",
        "EACH PARTY'S AGGREGATE LIABILITY ARISING OUT OF THIS AGREEMENT SHALL NOT EXCEED THE "
        "FEES PAID OR PAYABLE IN THE {months} MONTHS PRECEDING THE EVENT GIVING RISE TO THE "
        "CLAIM.",
        "The limitations in this Article shall not apply to a party's obligations under "
        "Section {sec} or to its gross negligence, fraud or willful misconduct.",
        "The parties agree that the limitations of liability in this Article are an essential "
        "basis of the bargain between them.",
    ),
    "general": (
        "All notices under this Agreement shall be in writing and delivered by hand, by "
        "overnight courier or by email with confirmation of receipt to the addresses set forth "
        "on the signature page.",
        "Neither party may assign this Agreement without the other party's prior written "
        "consent, except to a successor in a Change of Control.",
        "Neither party shall be liable for any failure or delay in performance caused by a "
        "Force Majeure Event.",
        "This Agreement, together with its Exhibits, constitutes the entire agreement between "
        "the parties and supersedes all prior agreements relating to its subject matter.",
        "If any provision of this Agreement is held invalid or unenforceable, the remaining "
        "provisions shall remain in full force and effect.",
        "This Agreement may be amended only by a written instrument signed by both parties.",
        "The parties are independent contractors, and nothing in this Agreement creates a "
        "partnership, joint venture or agency relationship.",
        "This Agreement may be executed in counterparts, each of which shall be deemed an "
        "original.",
        "No failure or delay in exercising any right under this Agreement shall operate as a "
        "waiver of that right.",
    ),
}
ARTICLES = (  # (heading, section titles, clause family)
    ("FEES AND PAYMENT", ("Fees", "Invoicing", "Taxes", "Late Payment"), "payment"),
    ("CONFIDENTIALITY", ("Obligations", "Exclusions", "Compelled Disclosure", "Return of "
                         "Materials"), "confidentiality"),
    ("TERM AND TERMINATION", ("Term", "Termination for Cause", "Termination for Convenience",
                              "Effect of Termination"), "termination"),
    ("REPRESENTATIONS AND WARRANTIES", ("Mutual Representations", "Performance Warranty",
                                        "Disclaimer"), "warranties"),
    ("INDEMNIFICATION", ("Indemnification by {P1}", "Indemnification by {P2}", "Procedure"),
     "indemnification"),
    ("LIMITATION OF LIABILITY", ("Exclusion of Damages", "Cap on Liability", "Exceptions"),
     "liability"),
    ("GOVERNING LAW AND DISPUTES", ("Governing Law", "Jurisdiction", "Dispute Resolution"),
     "governing_law"),
    ("GENERAL PROVISIONS", ("Notices", "Assignment", "Force Majeure", "Entire Agreement",
                            "Severability", "Amendment", "Counterparts"), "general"),
)  # fmt: skip
CLAUSE_LISTS = {  # intro, items: rendered as "(i) ...; (ii) ...; and (iii) ..."
    "payment": (
        "Each invoice shall set forth",
        ("the Services performed or Products delivered", "the applicable Fees", "any "
         "reimbursable expenses, with receipts", "the purchase order number"),
    ),
    "confidentiality": (
        "The {recv} shall",
        ("limit access to those who need to know", "mark all copies as proprietary",
         "notify the {disc} promptly of any unauthorized use", "not remove any proprietary "
         "legends"),
    ),
    "termination": (
        "Upon termination, {P1} shall",
        ("cease performing the Services", "deliver all completed {deliv}", "invoice any "
         "accrued Fees", "return all materials furnished by {P2}"),
    ),
    "indemnification": (
        "The indemnified party shall",
        ("give prompt written notice of the claim", "tender sole control of the defense",
         "provide reasonable assistance", "not admit liability without consent"),
    ),
}  # fmt: skip

# --- courts, precedents and statutes ------------------------------------------------------------


@dataclass(frozen=True)
class Precedent:
    """An invented case, always cited at the same place and for the same proposition."""

    name: str
    short: str
    volume: int
    reporter: str
    page: int
    court: str
    year: int
    topic: str
    holding: str

    def cite(self, r: random.Random) -> tuple[str, int]:
        """A full citation with a pinpoint page, and that page."""
        pin = self.page + r.randint(2, 14)
        court = f"{self.court} " if self.court else ""
        return (
            f"{self.name}, {self.volume} {self.reporter} {self.page}, {pin} ({court}{self.year})",
            pin,
        )


PRECEDENTS = (
    Precedent("Okonkwo v. Marrowgate Software Ltd.", "Okonkwo", 612, "F.3d", 1104, "9th Cir.",
              2010, "pleading", "a complaint survives a motion to dismiss only if its factual "
              "allegations, taken as true, make the claim plausible rather than merely "
              "conceivable"),
    Precedent("Dunmore v. Pellham Retail Grp., Inc.", "Dunmore", 884, "F.3d", 201, "2d Cir.",
              2018, "pleading", "labels, conclusions and a formulaic recitation of the elements "
              "of a cause of action do not suffice"),
    Precedent("Ashcombe v. Northline Freight Co.", "Ashcombe", 577, "U.S.", 312, "", 2016,
              "summary", "summary judgment is proper only where no reasonable jury could "
              "return a verdict for the nonmoving party"),
    Precedent("Reyes v. Castellane", "Reyes", 743, "F.3d", 88, "5th Cir.", 2014, "summary",
              "the court views the evidence in the light most favorable to the nonmoving party "
              "and draws all reasonable inferences in its favor"),
    Precedent("Kestrel v. City of Fenwick", "Kestrel", 561, "U.S.", 77, "", 2011, "immunity",
              "an officer is entitled to qualified immunity unless the right was clearly "
              "established at the time of the challenged conduct"),
    Precedent("Moreau v. Halberd County", "Moreau", 915, "F.3d", 640, "9th Cir.", 2019,
              "immunity", "existing precedent must place the constitutional question beyond "
              "debate, though a case directly on point is not required"),
    Precedent("Gunnarsson v. Whitlow", "Gunnarsson", 38, "F.4th", 1170, "9th Cir.", 2022,
              "force", "the reasonableness of force is judged from the perspective of a "
              "reasonable officer on the scene rather than with hindsight"),
    Precedent("Tamsin v. Oakridge Police Dep't", "Tamsin", 702, "F.3d", 955, "7th Cir.", 2013,
              "retaliation", "a plaintiff alleging First Amendment retaliation must show that "
              "protected speech was a substantial or motivating factor in the adverse action"),
    Precedent("In re Corvane Therapeutics Sec. Litig.", "Corvane", 997, "F.3d", 310, "2d Cir.",
              2021, "scienter", "a strong inference of scienter must be at least as compelling "
              "as any opposing inference of nonfraudulent intent"),
    Precedent("Ferreira v. Tessaline Semiconductor Corp.", "Ferreira", 859, "F.3d", 1187,
              "9th Cir.", 2017, "falsity", "a statement is misleading if it would give a "
              "reasonable investor the impression of a state of affairs that differs materially "
              "from the one that actually exists"),
    Precedent("Halloran v. Osterwald Energy Partners, L.P.", "Halloran", 412, "F. Supp. 3d",
              522, "S.D.N.Y.", 2019, "causation", "loss causation requires that the "
              "misstatement concealed something from the market that, when disclosed, "
              "negatively affected the value of the security"),
    Precedent("Brackenbury v. Quayside Logistics LLC", "Brackenbury", 231, "A.3d", 1012,
              "Del.", 2020, "contract", "clear and unambiguous contract language is given its "
              "ordinary meaning, and the court will not rewrite the parties' bargain"),
    Precedent("Pemberton Hale, Inc. v. Fenwright Ins. Co.", "Pemberton Hale", 66, "F.4th",
              401, "7th Cir.", 2023, "contract", "an indemnification provision does not cover "
              "claims between the contracting parties themselves unless it says so expressly"),
    Precedent("Sorrelfield v. Ardley Capital Mgmt. LLC", "Sorrelfield", 129, "N.E.3d", 44,
              "Ard.", 2019, "privacy", "a consumer who alleges that her data was sold without "
              "the notice the statute requires has suffered a concrete injury"),
    Precedent("Lowe v. Brightwater Health Sys., Inc.", "Lowe", 980, "F.3d", 733, "9th Cir.",
              2020, "jurisdiction", "a party invoking diversity jurisdiction bears the burden of "
              "alleging the citizenship of every member of a limited liability company"),
)  # fmt: skip


@dataclass(frozen=True)
class Circuit:
    name: str
    cite: str
    districts: tuple[str, ...]


CIRCUITS = (
    Circuit("Ninth", "9th Cir.", ("Northern District of California", "District of Arizona",
                                   "Central District of California")),
    Circuit("Second", "2d Cir.", ("Southern District of New York", "District of Connecticut")),
    Circuit("Seventh", "7th Cir.", ("Northern District of Illinois",
                                     "Eastern District of Wisconsin")),
    Circuit("Fifth", "5th Cir.", ("Western District of Texas", "Southern District of Texas")),
)  # fmt: skip
JUDGES = ("Whitcombe", "Nakamura", "Ferreira", "Oyelaran", "Halloran", "Brandt", "Desai",
          "Gunnarsson", "Castillo", "Lindgren", "Achebe", "Sato")  # fmt: skip
PLAINTIFFS = ("Marisol Vega", "Darnell Okafor", "Astrid Lindqvist", "Kenji Sato", "Leah Moreau",
              "Tobias Renner", "Chioma Eze", "Grace Whitfield")  # fmt: skip
CITIES = ("Fenwick", "Port Ellery", "Halberd", "Oakridge", "Ravensworth", "Calloway")
# Reasoning sentences by claim; {pl} and {df} are the parties' short names.
ANALYSIS = {
    "civil_rights": (
        "{pl} alleges that the officers [struck her after she was handcuffed|pushed her to the "
        "ground although she posed no threat|arrested her minutes after her remarks at the "
        "council meeting].",
        "Taking those allegations as true, a reasonable officer would have understood that the "
        "conduct violated the [Fourth|First] Amendment.",
        "The officers respond that {pl} [resisted|refused to comply with lawful orders], but "
        "that factual dispute cannot be resolved on the pleadings.",
        "The body-camera footage, which the complaint incorporates by reference, does not "
        "blatantly contradict {pl}'s account.",
        "A claim against the City under {statute} requires more: the injury must result from "
        "an official policy, a widespread custom, or a decision of a final policymaker.",
        "The complaint identifies [three prior incidents|no prior incident|a written policy] "
        "[involving the same unit|that the City adopted in {year}].",
        "Whether the right was clearly established is a question of law that we decide "
        "without deference to the district court.",
        "We do not define the right at a high level of generality; the question is whether "
        "the law gave the officers fair warning that their particular conduct was unlawful.",
    ),
    "securities": (
        "The complaint identifies [six|eight|eleven] statements made in earnings calls and "
        "SEC filings and explains why each was false when made.",
        "Confidential witnesses, including a former [director of clinical operations|regional "
        "sales manager|quality engineer], describe internal reports that contradicted the "
        "public statements.",
        "{df} responds that the statements were forward-looking and accompanied by meaningful "
        "cautionary language under the safe harbor of {pslra_safe}.",
        "But a statement of present fact does not become forward-looking merely because it "
        "appears next to a projection.",
        "The officers' stock sales during the class period, standing alone, do not establish "
        "a motive to defraud.",
        "Viewing the allegations holistically, as we must, the inference that the officers "
        "knew of the problem is at least as compelling as any innocent explanation.",
        "The stock dropped only after the corrective disclosure, which revealed the very "
        "facts the earlier statements had concealed.",
        "Rule 10b-5 reaches only misstatements of material fact; puffery about being "
        '"well positioned" is not actionable.',
    ),
    "contract": (
        "Under the agreement's choice-of-law clause, {law} law governs our interpretation.",
        "We begin, as always, with the text of the agreement.",
        'The clause refers to "third-party claims" and says nothing about claims between '
        "the parties themselves.",
        "{df} asks us to read the clause as fee-shifting for any dispute, but that reading "
        "would render the separate attorneys' fees provision superfluous.",
        "Because the language is unambiguous, we may not consider extrinsic evidence of the "
        "parties' negotiations.",
        "The record shows that {pl} invoiced {df} [$410,000|$1.2 million|$86,500] for services "
        "that {df} accepted without objection.",
        "The limitation of liability in Section 8.2 caps damages at the fees paid in the "
        "preceding twelve months, and the district court correctly applied it.",
        "Complete diversity exists because {pl} is a citizen of {pl_state} and every member "
        "of {df} is a citizen of another State.",
    ),
    "privacy": (
        "The {act} requires a data broker to give notice before selling a consumer's personal "
        "data.",
        "{pl} alleges that {df} sold her browsing history and precise location to at least "
        "[four|nine|twelve] advertisers without that notice.",
        "The disclosure of private information to third parties bears a close relationship to "
        "harms traditionally recognized as providing a basis for lawsuits, such as intrusion "
        "upon seclusion.",
        "A bare procedural violation, divorced from any concrete harm, would not suffice.",
        "But the legislature enacted the notice requirement to protect consumers' control over "
        "their own information, and its violation causes the very harm the statute guards "
        "against.",
        "{df} argues that the data were de-identified, but the complaint alleges that they "
        "were linked to a persistent device identifier.",
        "Whether the data were in fact de-identified is a factual question for remand.",
    ),
}


@dataclass(frozen=True)
class Statute:
    """A chapter of the Ardenne Revised Statutes."""

    title: int
    chapter: int
    first: int
    name: str
    act: str
    subject: str
    regulated: str  # who the chapter regulates, as a defined term
    duties: tuple[str, ...]  # "Heading: what each regulated person shall do"


STATUTES = (
    Statute(
        14, 9, 901, "Commerce and Trade", "Consumer Data Protection Act",
        "the collection and sale of consumer data", "Data Broker",
        (
            "Registration: register with the Attorney General before collecting or selling "
            "consumer data",
            "Notice to consumers: provide each consumer with clear notice of the categories of "
            "data collected",
            "Deletion requests: honor a consumer's request to delete personal data within "
            "forty-five days",
            "Security procedures: maintain reasonable security procedures appropriate to the "
            "nature of the data",
            "Minors: refrain from selling the personal data of a consumer under sixteen years "
            "of age without affirmative authorization",
        ),
    ),
    Statute(
        33, 4, 401, "Property", "Residential Security Deposit Act",
        "security deposits under residential leases", "Landlord",
        (
            "Deposits held in trust: hold each security deposit in a separate interest-bearing "
            "account",
            "Return of deposit: return the security deposit within thirty days after the "
            "tenancy ends",
            "Itemized deductions: provide an itemized statement of any deductions from the "
            "deposit",
            "Limit on amount: not demand a deposit exceeding one and one-half months' rent",
            "Disclosure of depository: disclose the name of the institution holding the "
            "deposit",
        ),
    ),
    Statute(
        21, 12, 1201, "Public Contracts", "Fair Procurement Act",
        "contracts for goods and services awarded by state agencies", "Contracting Agency",
        (
            "Competitive sealed bidding: award each contract over $50,000 by competitive "
            "sealed bidding",
            "Public notice: publish a notice of each solicitation at least fourteen days "
            "before bids are due",
            "Evaluation record: keep a written record of the evaluation of every bid",
            "Debarred bidders: reject any bid from a person debarred under this chapter",
            "Publication of contracts: post each executed contract on the state transparency "
            "website",
        ),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Regulation:
    title: int
    title_name: str
    part: int
    part_name: str
    agency: str
    act: str
    regulated: str
    duties: tuple[str, ...]


REGULATIONS = (
    Regulation(
        17, "Commodity and Securities Exchanges", 279,
        "Recordkeeping by Registered Investment Advisers (Electronic Records)",
        "Securities and Exchange Commission", "15 U.S.C. § 80b-4",
        "registered investment adviser",
        (
            "Format of records: preserve each electronic record in a non-rewriteable, "
            "non-erasable format",
            "Duplicate copies: maintain a duplicate copy of each record at a separate location",
            "Production of records: produce any record promptly upon request of the "
            "Commission's staff",
            "Retention period: retain each record for at least five years from the end of the "
            "fiscal year",
        ),
    ),
    Regulation(
        12, "Banks and Banking", 1499, "Consumer Complaint Handling by Large Lenders",
        "Bureau of Consumer Financial Protection", "12 U.S.C. § 5511", "covered lender",
        (
            "Acknowledgment: acknowledge each consumer complaint within fifteen days of "
            "receipt",
            "Written response: respond in writing to each complaint within sixty days",
            "Quarterly reports: report complaint statistics to the Bureau each quarter",
            "Responsible officer: designate a senior officer responsible for complaint "
            "handling",
        ),
    ),
    Regulation(
        16, "Commercial Practices", 477, "Disclosure of Automatic Renewal Terms",
        "Federal Trade Commission", "15 U.S.C. § 57a", "seller",
        (
            "Disclosure: disclose all material terms of an automatic renewal before obtaining "
            "billing information",
            "Consent: obtain the consumer's express informed consent to the renewal",
            "Cancellation: provide a simple mechanism for cancellation",
            "Renewal reminders: send a reminder at least thirty days before each annual "
            "renewal",
        ),
    ),
)  # fmt: skip

# --- surface forms ----------------------------------------------------------------------------


def fill(r: random.Random, template: str, slots: dict[str, object]) -> str:
    """Pick one option from each (possibly nested) "[a|b|c]" group, then substitute {slots}."""
    while ALTERNATIVES.search(template):
        template = ALTERNATIVES.sub(lambda m: r.choice(m.group(1).split("|")), template)
    return template.format(**slots)


def cap(s: str) -> str:
    return s[0].upper() + s[1:]


def a_an(word: str) -> str:
    return ("an " if word[0].lower() in "aeiou" else "a ") + word


def date(r: random.Random, year: int) -> str:
    return f"{r.choice(MONTHS)} {r.randint(1, 28)}, {year}"


def roman_list(items: list[str], conj: str = "and") -> str:
    """'(i) a; (ii) b; and (iii) c'."""
    parts = [f"({SMALL_ROMAN[i]}) {item}" for i, item in enumerate(items)]
    if len(parts) > 1:
        parts[-1] = f"{conj} {parts[-1]}"
    return "; ".join(parts)


@dataclass
class Style:
    """How carefully one document spells its references (the normaliser folds the rest)."""

    curly: bool
    sloppy: float  # chance that a reference uses a variant spelling

    def q(self, term: str) -> str:
        return f"\u201c{term}\u201d" if self.curly else f'"{term}"'


class Cites:
    """Citation spellings, canonical or (with probability style.sloppy) a variant."""

    def __init__(self, r: random.Random, style: Style) -> None:
        self.r, self.style = r, style

    def loose(self) -> bool:
        return self.r.random() < self.style.sloppy

    def section(self, number: str) -> str:
        if self.loose():
            return self.r.choice(("Sec. ", "Sec.", "Sect. ")) + number
        return f"Section {number}"

    def sign(self, number: str, double: bool = False) -> str:
        mark = "§§" if double else "§"
        if self.loose():
            return self.r.choice(
                (
                    f"{mark}{number}",
                    f"{mark}\u00a0{number}",
                    f"{'§ §' if double else '§'}  {number}",
                )
            )
        return f"{mark} {number}"

    def usc(self, title: int, section: str) -> str:
        if self.loose():
            return self.r.choice(
                (
                    f"{title} USC {section}",
                    f"{title} U.S.C. {section}",
                    f"{title} U. S. C. § {section}",
                    f"{title} U.S.C. §{section}",
                )
            )
        return f"{title} U.S.C. § {section}"

    def cfr(self, title: int, section: str) -> str:
        if self.loose():
            return self.r.choice(
                (
                    f"{title} CFR {section}",
                    f"{title} C.F.R. {section}",
                    f"{title} C. F. R. § {section}",
                )
            )
        return f"{title} C.F.R. § {section}"

    def frcp(self, rule: str) -> str:
        if self.loose():
            return self.r.choice((f"FRCP {rule}", f"Fed.R.Civ.P. {rule}", f"Fed. R.Civ. P. {rule}"))
        return f"Fed. R. Civ. P. {rule}"

    def case(self, p: Precedent) -> tuple[str, int]:
        text, pin = p.cite(self.r)
        if self.loose() and p.reporter in ("F.3d", "F.4th", "A.3d"):
            text = text.replace(p.reporter, p.reporter[:2] + " " + p.reporter[2:], 1)
        return text, pin


# --- the writer -------------------------------------------------------------------------------


class Writer:
    """Builds documents and labelled clauses from one seeded random stream."""

    def __init__(self, r: random.Random) -> None:
        self.r = r

    def style(self) -> Style:
        r = self.r
        return Style(curly=r.random() < 0.3, sloppy=r.choice((0.0, 0.0, 0.1, 0.25)))

    def clause_slots(self, kind: ContractKind, sections: list[str], cites: Cites | None = None):
        r = self.r
        state = r.choice(list(VENUES))
        refs = [cites.section(s) if cites else f"Section {s}" for s in sections] or ["4.2"]
        pick = [s.replace("Section ", "", 1) if s.startswith("Section ") else s for s in refs]
        three = r.sample(pick, 3) if len(pick) >= 3 else [r.choice(pick) for _ in range(3)]
        return {
            "P1": kind.p1,
            "P2": kind.p2,
            "deliv": kind.deliv,
            "disc": "Disclosing Party",
            "recv": "Receiving Party",
            "sec": three[0],
            "sec2": three[1],
            "sec3": three[2],
            "days": r.choice((5, 10, 15, 30, 30, 45, 60, 90)),
            "years": r.choice((1, 2, 3, 5)),
            "months": r.choice((3, 6, 12)),
            "rate": r.choice(("1", "1.5", "0.75")),
            "amount": f"{r.randrange(25, 900) * 1000:,}",
            "state": state,
            "venue": VENUES[state],
            "city": VENUES[state].split(",")[0].replace("the City of ", ""),
        }

    # --- contracts ---

    def doc_contract(self) -> str:
        r = self.r
        kind = r.choice(CONTRACTS)
        a, b = r.sample(COMPANIES, 2)
        st = self.style()
        cites = Cites(r, st)
        year = r.randint(2016, 2025)
        articles = [
            ARTICLES[i] for i in sorted(r.sample(range(len(ARTICLES) - 1), r.randint(4, 7)))
        ]
        articles.append(ARTICLES[-1])
        # Number everything first so that cross-references point at real sections.
        plan = [("DEFINITIONS", ("Definitions", "Interpretation"), "")]
        plan.append(
            (
                kind.title.split()[-2].upper() if "License" not in kind.title else "LICENSE",
                ("Scope", "Performance"),
                "scope",
            )
        )
        plan += articles
        numbers: dict[str, list[str]] = {}
        for i, (_, titles, family) in enumerate(plan, start=1):
            numbers.setdefault(family, []).extend(f"{i}.{j}" for j in range(1, len(titles) + 1))
        all_sections = [n for ns in numbers.values() for n in ns]
        term_sec = (numbers.get("termination") or ["2.1"])[0]
        slots = self.clause_slots(kind, all_sections, cites) | {"term_sec": term_sec}
        parts = [
            f"{kind.title.upper()}. This {kind.title} (this {st.q('Agreement')}) is entered into "
            f"as of {date(r, year)} (the {st.q('Effective Date')}) by and between {a.name}, "
            f"{a_an(a.state)} {a.kind} ({st.q(kind.p1)}), and {b.name}, {a_an(b.state)} {b.kind} "
            f"({st.q(kind.p2)}). {kind.p1} and {kind.p2} are each a {st.q('Party')} and "
            f"together the {st.q('Parties')}.",
            fill(
                r,
                "RECITALS. WHEREAS, {P1} is in the business of [providing|supplying|licensing] "
                "{what}; WHEREAS, {P2} wishes to obtain {what} from {P1} on the terms set forth "
                "in this Agreement; NOW, THEREFORE, in consideration of the mutual covenants "
                "contained herein and for other good and valuable consideration, the receipt "
                "and sufficiency of which are hereby acknowledged, the Parties agree as "
                "follows:",
                slots | {"what": kind.deliv.lower()},
            ),
        ]
        scope = r.sample(kind.scope, len(kind.scope))
        for i, (heading, titles, family) in enumerate(plan, start=1):
            parts.append(f"ARTICLE {i} {fill(r, heading, slots)}.")
            for j, title in enumerate(titles, start=1):
                head = f"{cites.section(f'{i}.{j}')} {fill(r, title, slots)}."
                if family == "":
                    body = self.definitions(kind, st, slots) if j == 1 else self.interpretation()
                elif family == "scope":
                    half = scope[: len(scope) // 2] if j == 1 else scope[len(scope) // 2 :]
                    body = " ".join(fill(r, t, slots) for t in half)
                else:
                    body = self.section_body(family, slots)
                parts.append(f"{head} {body}")
        signer_a, signer_b = r.sample(SIGNERS, 2)
        parts.append(
            f"IN WITNESS WHEREOF, the Parties have executed this Agreement as of the Effective "
            f"Date. {a.name.upper()} By: /s/ {signer_a} Name: {signer_a} Title: "
            f"{r.choice(TITLES)}. {b.name.upper()} By: /s/ {signer_b} Name: {signer_b} Title: "
            f"{r.choice(TITLES)}."
        )
        return " ".join(parts)

    def definitions(self, kind: ContractKind, st: Style, slots: dict[str, object]) -> str:
        r = self.r
        terms = dict(DEFINITIONS)
        if kind.deliv != "Licensed Software":
            terms.pop("Documentation")
        if kind.deliv != "Products":
            terms.pop("Specifications")
        else:
            terms.pop("Statement of Work")
        chosen = sorted(r.sample(list(terms), r.randint(8, 12)) + ["Confidential Information"])
        chosen = sorted(
            set(chosen)
            | {kind.deliv}
            | ({"Services"} if kind.deliv != "Products" else {"Purchase Order"})
        )
        out = [
            r.choice(
                (
                    "As used in this Agreement, the following terms have the meanings set "
                    "forth below:",
                    "Capitalized terms used in this Agreement have the following meanings:",
                    "In this Agreement:",
                )
            )
        ]
        for term in chosen:
            text = terms.get(term) or KIND_DEFINITIONS[term]
            text = fill(r, text, slots)
            if not st.curly:
                text = text.replace("\u201c", '"').replace("\u201d", '"')
            verb = "shall mean" if text.startswith("means") and r.random() < 0.3 else None
            if verb:
                text = "shall mean" + text[len("means") :]
            out.append(f"{st.q(term)} {text}.")
        return " ".join(out)

    def interpretation(self) -> str:
        return self.r.choice(
            (
                "(a) Headings are for convenience only and do not affect interpretation. "
                '(b) The words "include" and "including" are deemed to be followed by '
                '"without limitation". (c) References to Sections and Articles are to those '
                "of this Agreement.",
                "In this Agreement, (a) the singular includes the plural and vice versa; (b) "
                "references to a statute include any amendment of it; and (c) no provision "
                "shall be construed against a Party by reason of its drafting.",
            )
        )

    def section_body(self, family: str, slots: dict[str, object]) -> str:
        """Two to four clauses of one family, as plain sentences or as (a), (b), (c)."""
        r = self.r
        pool = CLAUSES[family]
        picks = [
            fill(r, pool[i], slots) for i in sorted(r.sample(range(len(pool)), r.randint(2, 4)))
        ]
        shape = r.random()
        if shape < 0.45:
            return " ".join(picks)
        if shape < 0.8 or family not in CLAUSE_LISTS:
            return " ".join(f"({LETTERS[i]}) {p}" for i, p in enumerate(picks))
        intro, items = CLAUSE_LISTS[family]
        listed = roman_list([fill(r, x, slots) for x in r.sample(items, r.randint(2, 4))])
        return (
            " ".join(f"({LETTERS[i]}) {p}" for i, p in enumerate(picks))
            + f" ({LETTERS[len(picks)]}) {fill(r, intro, slots)}: {listed}."
        )

    def doc_amendment(self) -> str:
        r = self.r
        kind = r.choice(CONTRACTS)
        a, b = r.sample(COMPANIES, 2)
        st = self.style()
        cites = Cites(r, st)
        year = r.randint(2018, 2025)
        n = r.choice(("First", "Second", "Third"))
        family = r.choice(("payment", "termination", "confidentiality", "governing_law"))
        sec = f"{r.randint(3, 8)}.{r.randint(1, 3)}"
        slots = self.clause_slots(kind, [sec], cites)
        new = " ".join(fill(r, t, slots) for t in r.sample(CLAUSES[family], 2))
        return (
            f"{n.upper()} AMENDMENT TO {kind.title.upper()}. This {n} Amendment (this "
            f"{st.q('Amendment')}) is made as of {date(r, year)} by and between {a.name} "
            f"({st.q(kind.p1)}) and {b.name} ({st.q(kind.p2)}), and amends the {kind.title} "
            f"between them dated {date(r, year - r.randint(1, 4))} (the {st.q('Agreement')}). "
            f"Capitalized terms used but not defined in this Amendment have the meanings given "
            f"in the Agreement. {cites.section('1')}. Amendment. {cites.section(sec)} of the "
            f"Agreement is hereby deleted and replaced in its entirety with the following: "
            f"{st.q(new)} {cites.section('2')}. Effect. Except as expressly amended by this "
            f"Amendment, the Agreement remains in full force and effect, and all references "
            f"to the Agreement shall mean the Agreement as amended hereby. {cites.section('3')}. "
            f"Counterparts. This Amendment may be executed in counterparts, each of which shall "
            f"be deemed an original."
        )

    # --- statutes and regulations ---

    def doc_statute(self) -> str:
        r = self.r
        s = r.choice(STATUTES)
        st = self.style()
        cites = Cites(r, st)
        first = s.first
        year = r.randint(2009, 2022)
        regulated = s.regulated
        definitions = {
            "Attorney General": "means the Attorney General of the State of Ardenne",
            "Consumer": "means a natural person who is a resident of this State",
            regulated: f"means a person subject to the requirements of this chapter with respect "
            f"to {s.subject}",
            "Person": "means an individual, corporation, partnership, limited liability company, "
            "association or other entity",
            "Violation": "means any failure to comply with a requirement of this chapter or a "
            "rule adopted under it",
        }
        parts = [
            f"ARDENNE REVISED STATUTES. TITLE {s.title}. {s.name.upper()}. CHAPTER {s.chapter}. "
            f"{s.act.upper()}.",
            f"{cites.sign(f'{s.title}-{first}')}. Short title. This chapter may be cited as the "
            f"{s.act}.",
            f"{cites.sign(f'{s.title}-{first + 1}')}. Legislative findings. The legislature finds "
            f"that the regulation of {s.subject} affects the welfare of the people of this State "
            f"and that "
            f"uniform rules governing {s.subject} are in the public interest.",
        ]
        defs = " ".join(
            f"({i}) {st.q(term)} {text}."
            for i, (term, text) in enumerate(sorted(definitions.items()), 1)
        )
        parts.append(
            f"{cites.sign(f'{s.title}-{first + 2}')}. Definitions. In this chapter: {defs}"
        )
        number = first + 3
        for entry in s.duties:
            heading, duty = entry.split(": ", 1)
            subs = []
            for k, letter in enumerate(LETTERS[: r.randint(3, 4)]):
                if k == 0:
                    subs.append(f"({letter}) Each {regulated} shall {duty}.")
                elif k == 1:
                    items = [
                        f"({n}) {x}"
                        for n, x in enumerate(
                            r.sample(
                                (
                                    f"the name and address of the {regulated}",
                                    "the date on which the obligation arose",
                                    "a description of the action taken",
                                    "any other information required by rule of the Attorney "
                                    "General",
                                    "a statement signed under penalty of perjury",
                                ),
                                r.randint(2, 4),
                            ),
                            1,
                        )
                    ]
                    subs.append(
                        f"({letter}) A record kept under subsection (a) of this section shall "
                        f"include: {'; '.join(items)}."
                    )
                elif k == 2 and r.random() < 0.5:
                    subs.append(
                        f"({letter}) In determining whether a {regulated} has complied with "
                        f"subsection (a) of this section, the Attorney General shall consider: "
                        f"(1) the size and complexity of the {regulated}; (2) the nature and "
                        f"volume of its activities; and (3) whether the {regulated} (A) has "
                        f"adopted written procedures, (B) has trained its personnel, and (C) has "
                        f"corrected any prior Violation."
                    )
                elif k == 2:
                    subs.append(
                        f"({letter}) Subsection (a) of this section does not apply to a "
                        f"{regulated} that [employs fewer than ten persons|is a unit of state or "
                        f"local government|acts solely as an agent of another {regulated}]."
                    )
                else:
                    subs.append(
                        f"({letter}) The Attorney General may adopt rules to implement this "
                        f"section, including rules under {cites.sign(f'{s.title}-{first + 9}')}."
                    )
            parts.append(
                f"{cites.sign(f'{s.title}-{number}')}. {heading}. {fill(r, ' '.join(subs), {})}"
            )
            number += 1
        parts.append(
            f"{cites.sign(f'{s.title}-{number}')}. Enforcement. (a) A Violation of this chapter is "
            f"an unlawful practice under {cites.sign('12-207')} of the Ardenne Unfair Trade "
            f"Practices Act. (b) The Attorney General may bring an action to enjoin a "
            f"Violation and to recover a civil penalty of not more than $"
            f"{r.choice(('2,500', '5,000', '7,500'))} for each Violation. (c) A Consumer injured "
            f"by a Violation of {cites.sign(f'{s.title}-{first + 3}')} or "
            f"{cites.sign(f'{s.title}-{first + 4}')} may bring a civil action to recover actual "
            f"damages, reasonable attorney's fees and costs."
        )
        parts.append(
            f"{cites.sign(f'{s.title}-{number + 1}')}. Rules; reports. (a) The Attorney General "
            f"shall adopt rules necessary to carry out this chapter. (b) Not later than "
            f"{r.choice(MONTHS)} 1 of each year, the Attorney General shall report to the "
            f"legislature on (1) the number of complaints received under this chapter, (2) the "
            f"number of actions brought under {cites.sign(f'{s.title}-{number}')}, and (3) any "
            f"recommended amendments to this chapter. (c) A report under subsection (b) of this "
            f"section may not include information that identifies a Consumer."
        )
        number += 1
        parts.append(
            f"{cites.sign(f'{s.title}-{number + 1}')}. Construction. This chapter shall be "
            f"liberally construed to protect the interests of Consumers, and any waiver of its "
            f"provisions is void and unenforceable."
        )
        parts.append(
            f"History: Added by Laws {year}, ch. {r.randint(40, 390)}, "
            f"{cites.sign(str(r.randint(1, 12)))}, eff. Jan. 1, {year + 1}; amended by Laws "
            f"{year + r.randint(1, 3)}, ch. {r.randint(40, 390)}, "
            f"{cites.sign(str(r.randint(1, 12)))}."
        )
        return " ".join(parts)

    def doc_regulation(self) -> str:
        r = self.r
        g = r.choice(REGULATIONS)
        st = self.style()
        cites = Cites(r, st)
        p = g.part
        parts = [
            f"TITLE {g.title}—{g.title_name.upper()}. PART {p}—{g.part_name.upper()}. "
            f"Authority: {g.act}. Source: {r.randint(70, 89)} FR {r.randint(10000, 99999)}, "
            f"{date(r, r.randint(2005, 2024))}, unless otherwise noted.",
            f"§ {p}.1 Purpose and scope. (a) This part implements {g.act} and applies to each "
            f"{g.regulated}. (b) Nothing in this part limits any obligation under "
            f"{cites.cfr(g.title, f'{p - 1}.{r.randint(1, 9)}')} or any other rule of the "
            f"{g.agency}.",
            f"§ {p}.2 Definitions. For purposes of this part: {st.q('Commission')} or "
            f"{st.q('Agency')} means the {g.agency}. {st.q(cap(g.regulated))} means a person "
            f"described in {cites.cfr(g.title, f'{p}.1')}(a). {st.q('Record')} means any "
            f"information created or received by a {g.regulated} in the conduct of its "
            f"business, regardless of form.",
        ]
        for i, entry in enumerate(g.duties, start=3):
            heading, duty = entry.split(": ", 1)
            extra = fill(
                r,
                "[(b) A {reg} that relies on a third party to perform this obligation remains "
                "responsible for compliance.|(b) The requirements of paragraph (a) of this "
                "section apply beginning on the first day of the calendar year after the "
                "{reg} becomes subject to this part.|(b) The Agency may grant an exemption from "
                "paragraph (a) of this section upon written application showing good cause.]",
                {"reg": g.regulated},
            )
            more = fill(
                r,
                "(c) Records of compliance with this section shall be [retained for three years|"
                "made available to the {agency} on request|kept in a form that can be promptly "
                "reproduced]. (d) For purposes of paragraph (a) of this section, [(1) a day means "
                "a calendar day; and (2) a notice is given when sent|the {agency} may by order "
                "extend any period for good cause].",
                {"agency": "Agency"},
            )
            parts.append(
                f"§ {p}.{i} {heading}. (a) Each {g.regulated} shall {duty}. {extra} {more}"
            )
        parts.append(
            f"§ {p}.{len(g.duties) + 3} Effect on other law. A violation of this part is a "
            f"violation of {cites.usc(15, r.choice(('45(a)', '78o(b)', '5536(a)')))}. Nothing "
            f"in this part preempts any State law that affords greater protection."
        )
        return " ".join(parts)

    # --- opinions and orders ---

    def cite_block(self, topic: str, cites: Cites, used: dict[str, int]) -> str:
        """A proposition with its authority, or `Id. at N` after the same authority."""
        r = self.r
        choices = [p for p in PRECEDENTS if p.topic == topic] or list(PRECEDENTS)
        p = r.choice(choices)
        if p.short in used and r.random() < 0.6:
            pin = used[p.short] + r.randint(0, 3)
            ref = r.choice(
                (
                    f"{p.short}, {p.volume} {p.reporter} at {pin}",
                    f"Id. at {pin}"
                    if used.get("_last") == p.short
                    else f"{p.short}, {p.volume} {p.reporter} at {pin}",
                )
            )
        else:
            ref, pin = cites.case(p)
        used[p.short], used["_last"] = pin, p.short  # type: ignore[assignment]
        lead = r.choice(("", "See ", "", "See also ", "Cf. "))
        tail = r.choice(("", "", " (internal quotation marks omitted)", " (citation omitted)"))
        return fill(
            r,
            "[[It is well settled|We have explained|The Supreme Court has made clear|Courts have "
            "consistently held] that {holding}. {lead}{ref}{tail}.|{Holding}. {lead}{ref}{tail}."
            "|{Short} teaches that {holding}. {ref}.]",
            {
                "holding": p.holding,
                "Holding": cap(p.holding),
                "lead": lead,
                "ref": ref,
                "tail": tail,
                "Short": p.short,
            },
        )

    def doc_opinion(self) -> str:
        r = self.r
        st = self.style()
        cites = Cites(r, st)
        circuit = r.choice(CIRCUITS)
        judges = r.sample(JUDGES, 3)
        year = r.randint(2017, 2025)
        claim = r.choice(("civil_rights", "securities", "contract", "privacy"))
        used: dict[str, int] = {}
        plaintiff = r.choice(PLAINTIFFS)
        city = r.choice(CITIES)
        defendant = r.choice(COMPANIES)
        if claim == "civil_rights":
            caption = (
                f"{plaintiff}, Plaintiff-Appellant, v. City of {city}, et al., Defendants-Appellees"
            )
            short = f"{plaintiff.split()[-1]} v. City of {city}"
            statute = cites.usc(42, "1983")
            facts = [
                f"{plaintiff.split()[-1]} alleges that officers of the {city} Police Department "
                f"[used excessive force during a traffic stop|arrested her in retaliation for "
                f"her criticism of the department at a public meeting|searched her home without "
                f"a warrant] on {date(r, year - 3)}.",
                f"She sued the City and [two|three] officers under {statute}, alleging "
                f"violations of the [First|Fourth] Amendment.",
                "The officers moved to dismiss on the ground of qualified immunity, and the "
                "City moved to dismiss for failure to allege a municipal policy or custom.",
            ]
            issues = (("immunity", "Qualified immunity"), ("force", "The constitutional "
                      "violation"), ("retaliation", "The retaliation claim"), ("pleading",
                      "Municipal liability"))  # fmt: skip
        elif claim == "securities":
            caption = f"In re {defendant.short} Securities Litigation"
            short = f"In re {defendant.short} Sec. Litig."
            statute = (
                f"Section 10(b) of the Securities Exchange Act of 1934, "
                f"{cites.usc(15, '78j(b)')}, and Rule 10b-5, {cites.cfr(17, '240.10b-5')}"
            )
            facts = [
                f"Lead plaintiff, a pension fund that purchased shares of {defendant.name} "
                f"between {date(r, year - 4)} and {date(r, year - 3)}, alleges that the company "
                f"and two of its officers misrepresented [the results of a clinical trial|the "
                f"strength of customer demand|the status of a regulatory inspection].",
                f"The complaint asserts claims under {statute}.",
                f"After the alleged truth was disclosed, the share price fell "
                f"{r.randint(12, 48)}% in a single trading day.",
                "The district court dismissed the complaint for failure to plead falsity and "
                "scienter with the particularity required by the Private Securities Litigation "
                f"Reform Act, {cites.usc(15, '78u-4(b)')}.",
            ]
            issues = (
                ("falsity", "Falsity"),
                ("scienter", "Scienter"),
                ("causation", "Loss causation"),
                ("pleading", "Leave to amend"),
            )
        elif claim == "contract":
            other = r.choice([c for c in COMPANIES if c != defendant])
            msa_slots = self.clause_slots(CONTRACTS[0], ["7.2"])
            caption = f"{other.name}, Plaintiff-Appellee, v. {defendant.name}, Defendant-Appellant"
            short = f"{other.short} v. {defendant.short}"
            statute = cites.usc(28, "1332(a)")
            facts = [
                f"{other.short} and {defendant.short} entered into a Master Services Agreement "
                f"in {year - 5}.",
                f"Section {r.randint(6, 9)}.{r.randint(1, 3)} of the agreement provides that "
                + fill(r, r.choice(CLAUSES["indemnification"]), msa_slots),
                f"After a dispute over [unpaid invoices|a data breach|late deliveries], "
                f"{other.short} sued in federal court, invoking diversity jurisdiction under "
                f"{statute}.",
                "The district court granted summary judgment to " + other.short + ".",
            ]
            issues = (
                ("jurisdiction", "Jurisdiction"),
                ("contract", "The indemnification clause"),
                ("summary", "Disputed facts"),
                ("contract", "Attorneys' fees"),
            )
        else:
            s = STATUTES[0]
            caption = (
                f"{plaintiff}, on behalf of herself and all others similarly situated, "
                f"Plaintiff-Appellant, v. {defendant.name}, Defendant-Appellee"
            )
            short = f"{plaintiff.split()[-1]} v. {defendant.short}"
            statute = f"the {s.act}, Ard. Rev. Stat. {cites.sign(f'{s.title}-{s.first}')} et seq."
            facts = [
                f"{plaintiff.split()[-1]} alleges that {defendant.short} sold her personal data "
                f"to advertisers without the notice required by "
                f"Ard. Rev. Stat. {cites.sign(f'{s.title}-{s.first + 4}')}.",
                f"She brought a putative class action under {statute}, and the case was removed "
                f"to federal court.",
                "The district court dismissed for lack of standing, holding that the alleged "
                "injury was not concrete.",
            ]
            issues = (
                ("privacy", "Standing"),
                ("pleading", "The statutory claim"),
                ("jurisdiction", "Removal"),
            )
        district = r.choice(circuit.districts)
        argued = r.randint(0, 9)
        docket = f"{year % 100 - 1:02d}-{r.randint(10000, 99999)}"
        parts = [
            f"UNITED STATES COURT OF APPEALS FOR THE {circuit.name.upper()} CIRCUIT. {caption}. "
            f"No. {docket}. Appeal from the United States District Court for the {district}. "
            f"Argued and Submitted {MONTHS[argued]} {r.randint(1, 28)}, {year}. Filed "
            f"{MONTHS[r.randint(argued + 1, 11)]} {r.randint(1, 28)}, {year}. Before: {judges[0]}, "
            f"{judges[1]}, and {judges[2]}, Circuit Judges. Opinion by Judge {judges[0]}.",
            f"OPINION. {judges[0].upper()}, Circuit Judge: This appeal requires us to decide "
            f"whether {r.choice(('the district court erred in dismissing', 'the record supports'))}"
            f" the claims in {short}. We have jurisdiction under {cites.usc(28, '1291')}, and we "
            f"{r.choice(('affirm', 'reverse and remand', 'affirm in part and reverse in part'))}.",
            "I. BACKGROUND. "
            + " ".join(fill(r, f, {}) for f in facts)
            + " "
            + fill(
                r,
                "The district court [entered final judgment|certified its order for immediate "
                "appeal] on {d}, and this timely appeal followed. [We recount the facts as alleged "
                "in the operative complaint.|The facts below are undisputed unless otherwise "
                "noted.]",
                {"d": date(r, year - 1)},
            ),
        ]
        rule = cites.frcp(
            {"civil_rights": "12(b)(6)", "securities": r.choice(("12(b)(6)", "9(b)")),
             "contract": "56(a)", "privacy": "12(b)(1)"}[claim]
        )  # fmt: skip
        parts.append(
            f"II. STANDARD OF REVIEW. We review de novo a decision under {rule}. "
            + self.cite_block("pleading" if "12" in rule or "9" in rule else "summary", cites, used)
            + " "
            + self.cite_block(r.choice(("pleading", "summary")), cites, used)
        )
        chosen = r.sample(issues, min(len(issues), r.randint(2, 4)))
        analysis = ANALYSIS[claim]
        extra = {
            "pl": short.split(" v. ")[0].replace("In re ", "").replace(" Sec. Litig.", ""),
            "df": defendant.short,
            "statute": statute,
            "year": year - r.randint(5, 12),
            "pslra_safe": cites.usc(15, "78u-5(c)"),
            "law": r.choice(list(VENUES)),
            "pl_state": r.choice(list(VENUES)),
            "act": STATUTES[0].act,
        }
        discussion = []
        for k, (topic, heading) in enumerate(chosen):
            paragraphs = []
            reasons = r.sample(analysis, len(analysis))
            for _ in range(r.randint(3, 5)):
                paragraphs.append(self.cite_block(topic, cites, used))
                paragraphs += [fill(r, a, extra) for a in reasons[: r.randint(1, 2)]]
                reasons = reasons[2:] or r.sample(analysis, len(analysis))
            reasoning = fill(
                r,
                "[Applying these principles here, we conclude that|On this record,|Read as a "
                "whole, the complaint shows that|The district court correctly reasoned that] "
                "[the allegations fall short|the allegations suffice|a reasonable jury could find "
                "for the plaintiff|the plain text of the agreement controls]. [The plaintiff's "
                "contrary argument is unpersuasive because it rests on facts outside the "
                "pleadings.|The defendants' reliance on {short} is misplaced.|Nothing in "
                "{statute} suggests a different result.|We therefore need not reach the "
                "remaining arguments on this issue.]",
                {"short": r.choice(PRECEDENTS).short, "statute": statute},
            )
            discussion.append(
                f"{chr(65 + k)}. {heading}. " + " ".join(paragraphs) + " " + reasoning
            )
        parts.append("III. DISCUSSION. " + " ".join(discussion))
        if r.random() < 0.4:
            judge = judges[2]
            parts.append(
                f"{judge.upper()}, Circuit Judge, [dissenting|concurring in part and dissenting "
                f"in part]: I respectfully disagree with Part III.{chr(65 + len(chosen) - 1)} of "
                f"the majority opinion. "
                + " ".join(self.cite_block(chosen[-1][0], cites, used) for _ in range(2))
                + " "
                + " ".join(fill(r, a, extra) for a in r.sample(analysis, 3))
                + " Because the majority [reads the record too generously|announces a rule our "
                "precedent does not support], I would [affirm|reverse]."
            )
        parts.append(
            "IV. CONCLUSION. "
            + r.choice(
                (
                    "For the foregoing reasons, the judgment of the district court is AFFIRMED.",
                    "The judgment is REVERSED, and the case is REMANDED for further proceedings "
                    "consistent with this opinion.",
                    "AFFIRMED in part, REVERSED in part, and REMANDED. Each party shall bear its "
                    "own costs on appeal.",
                )
            )
        )
        return " ".join(parts)

    def doc_order(self) -> str:
        r = self.r
        st = self.style()
        cites = Cites(r, st)
        defendant = r.choice(COMPANIES)
        plaintiff = r.choice(PLAINTIFFS)
        year = r.randint(2018, 2025)
        circuit = r.choice(CIRCUITS)
        rule = cites.frcp(r.choice(("12(b)(6)", "12(b)(1)", "56(a)")))
        used: dict[str, int] = {}
        outcome = r.choice(("GRANTED", "DENIED", "GRANTED in part and DENIED in part"))
        return (
            f"UNITED STATES DISTRICT COURT, {r.choice(circuit.districts).upper()}. {plaintiff}, "
            f"Plaintiff, v. {defendant.name}, Defendant. Case No. {year % 100}-cv-"
            f"{r.randint(1000, 9999)}. ORDER ON DEFENDANT'S MOTION UNDER {rule}. Before "
            f"the Court is {defendant.short}'s motion under {rule}. "
            + self.cite_block(r.choice(("pleading", "summary")), cites, used)
            + f" Having considered the parties' briefs and the record, the motion is {outcome}. "
            + r.choice(
                (
                    "Plaintiff may file an amended complaint within 21 days. ",
                    "The Clerk shall close the case. ",
                    f"A case management conference is set for {date(r, year)}. ",
                )
            )
            + f"IT IS SO ORDERED. Dated: {date(r, year)}."
        )

    # --- labels ---

    def labelled_clause(self, family: str) -> str:
        r = self.r
        kind = r.choice(CONTRACTS)
        sections = [f"{r.randint(2, 12)}.{r.randint(1, 6)}" for _ in range(4)]
        slots = self.clause_slots(kind, sections)
        pool = CLAUSES[family]
        picks = r.sample(range(len(pool)), 2 if r.random() < 0.3 else 1)
        return " ".join(fill(r, pool[i], slots) for i in picks)


DOC_KINDS = (
    ("doc_contract", 8),
    ("doc_opinion", 7),
    ("doc_statute", 3),
    ("doc_regulation", 3),
    ("doc_order", 4),
    ("doc_amendment", 3),
)
LABELS = ("confidentiality", "termination", "indemnification", "governing_law", "payment")


def build_corpus(w: Writer) -> list[str]:
    """Documents of mixed kinds until the corpus reaches TARGET_CORPUS_BYTES."""
    docs: list[str] = []
    size = 0
    names, weights = [n for n, _ in DOC_KINDS], [k for _, k in DOC_KINDS]
    while size < TARGET_CORPUS_BYTES:
        doc = re.sub(r" {2,}", " ", getattr(w, w.r.choices(names, weights)[0])()).strip()
        docs.append(doc)
        size += len(doc.encode("utf-8")) + 1
    return docs


def build_labels(w: Writer) -> list[tuple[str, str]]:
    """LABEL_ROWS_PER_CLASS unique clauses per class, shuffled."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for label in LABELS:
        target = len(rows) + LABEL_ROWS_PER_CLASS
        while len(rows) < target:
            text = w.labelled_clause(label)
            if text not in seen:
                seen.add(text)
                rows.append((text, label))
    w.r.shuffle(rows)
    return rows


# --- labelled clauses whose obligor needs context ---------------------------------------------

# context_labels.csv: which party does the clause bind: the party that provides (``provider``:
# Provider, Licensor, Supplier, Consultant) or the party that pays (``customer``: Customer,
# Licensee, Buyer, Company)? Every clause names both parties of one contract once each, and
# which party fills which slot is drawn at random, so no word, and no bag of words, tells the
# classes apart: the obligor is the subject of "shall", the agent of a passive ("shall be
# indemnified ... by"), the object of "require", the party "rather than" the other, or the one
# that needs the other's approval. The clauses are the corpus's own clause families with their
# parties in either role. Drawn from a seeded stream of their own, so corpus.txt and labels.csv
# do not change.
CONTEXT_ROWS_PER_CLASS = 200
CONTEXT_STREAM = 1_000_003  # added to the seed: a stream of its own
OBLIGATIONS = (  # {X} is bound, {Y} is the other party
    "{X} shall indemnify, defend and hold harmless {Y} and its Affiliates, officers, directors "
    "and employees from and against all Losses arising out of any third-party claim relating to "
    "this Agreement.",
    "{Y} and its Affiliates shall be indemnified, defended and held harmless by {X} from and "
    "against all Losses arising out of any third-party claim relating to this Agreement.",
    "{X} shall reimburse {Y} for all reasonable, pre-approved travel and out-of-pocket expenses "
    "incurred under this Agreement, supported by receipts.",
    "{X} shall give {Y} prompt written notice of any breach of Section {sec} and of any claim "
    "arising out of this Agreement.",
    "Upon the written request of {Y}, {X} shall return or destroy all documents and copies "
    "containing Confidential Information within {days} days.",
    "{X} shall not issue any press release or public announcement concerning this Agreement "
    "without the prior written approval of {Y}.",
    "{X}, rather than {Y}, shall bear all sales, use, value-added and similar taxes on the Fees.",
    "{X} shall provide {Y} with timely access to its facilities, systems and personnel as "
    "reasonably required for the performance of this Agreement.",
    "All costs of complying with Section {sec} shall be borne by {X} and not by {Y}.",
    "{X} shall keep accurate records and shall permit {Y} to audit them upon {days} days' "
    "written notice.",
    "{Y} may, by written notice, require {X} to cure any breach of Section {sec} within {days} "
    "days.",
    "{X} agrees to compensate {Y} for any loss, damage or expense, including court costs, "
    "arising out of any breach of Section {sec}.",
    "{Y} shall have no obligation to pay the costs of any audit under Section {sec}, which "
    "shall be paid by {X}.",
    "Any amounts owed to {Y} under Section {sec} shall be paid by {X} within {days} days after "
    "a final judgment or settlement.",
)


def context_clause(w: Writer) -> tuple[str, str]:
    """One clause and its label: a contract, the bound party, then a template."""
    r = w.r
    kind = r.choice(CONTRACTS)
    sections = [f"{r.randint(2, 12)}.{r.randint(1, 6)}" for _ in range(4)]
    slots = w.clause_slots(kind, sections)
    provider_bound = r.random() < 0.5
    x, y = (kind.p1, kind.p2) if provider_bound else (kind.p2, kind.p1)
    text = fill(r, r.choice(OBLIGATIONS), slots | {"X": x, "Y": y})
    return text, "provider" if provider_bound else "customer"


def build_context_labels(seed: int = 0) -> list[tuple[str, str]]:
    """CONTEXT_ROWS_PER_CLASS unique clauses per class, shuffled."""
    w = Writer(random.Random(seed + CONTEXT_STREAM))
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    counts = {"provider": 0, "customer": 0}
    while min(counts.values()) < CONTEXT_ROWS_PER_CLASS:
        text, label = context_clause(w)
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
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    docs = build_corpus(Writer(rng))
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
    lengths = sorted(len(doc.split()) for doc in docs)
    return {
        "docs": len(docs),
        "corpus_bytes": len(corpus),
        "label_rows": len(rows),
        "context_label_rows": len(context),
        "words": sum(lengths),
        "long_docs": sum(n >= 1000 for n in lengths),
        "median_words": lengths[len(lengths) // 2],
        "max_words": lengths[-1],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(main(args.out_dir, args.seed))
