"""The `legal` domain: contracts, statutes, court opinions and regulations.

What is special about legal text:
- documents are long (a contract or an opinion runs to thousands of words) and are
  built of numbered sections and lettered clauses. Truncating them to a model's
  sequence length would keep only preambles, so `split` cuts a long document into
  overlapping windows of about `window_words` words that start and end on section
  and clause boundaries (see `split_windows`);
- citations carry the meaning and follow fixed formats (`42 U.S.C. § 1983`,
  `Smith v. Jones, 123 F.3d 456 (9th Cir. 1999)`, `Fed. R. Civ. P. 12(b)(6)`,
  `17 C.F.R. § 240.10b-5`, `Section 4.2(b)`). BERT's pre-tokeniser shreds them at
  every dot and parenthesis; here each whitespace-free part stays one word: code and
  reporter abbreviations (`U.S.C.`, `C.F.R.`, `F.3d`), the single-dot abbreviations
  of citations (`v.`, `Fed.`, `Civ.`, `Cir.`, `Id.`), pinpoints and subdivisions
  (`12(b)(6)`, `4.2(b)`, `240.10b-5`, `(b)(ii)`) and `§§`. A whole citation is not one
  unit because it contains spaces: keras-hub reads a saved vocabulary back with
  `line.rstrip()`, so a WordPiece token ending in a space (which units containing
  spaces make the vocabulary trainer emit) would not survive a saved preset;
- defined terms (`"Confidential Information"`) are capitalised and used verbatim
  throughout a document. They are preserved by a cased vocabulary and by one quote
  style (curly quotes are straightened), not by a unit: a definition site kept as one
  token would no longer share its tokens with the later references it defines, which
  is exactly the link the model should learn; and multi-word terms contain spaces;
- spellings of the same reference vary (`Sec. 4.2`, `42 USC 1983`, `U. S. C.`,
  `§1983`, `F. 3d`, `FRCP 12(b)(6)`); a few safe rules give each one canonical
  (Bluebook) form, and no-break spaces (common after `§`) become spaces. Each rule is
  anchored on a number or a code abbreviation, so prose (`In re X Sec. Litig.`, "the
  Section heading") is left alone.

Legal text needs no redaction here: parties to published opinions, contracts and
statutes are public by nature, and this domain adds none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ssl_domains.api import Rule, TextDomain

DATA = Path(__file__).parent / "data"

# --- normalisation ---------------------------------------------------------------------------


def normalization_rules() -> list[Rule]:
    """Canonical spellings of section references, codes and reporters."""
    usc, cfr = r"(?:U\.S\.C\.|USC)", r"(?:C\.F\.R\.|CFR)"
    return [
        Rule("space", "[\u00a0\u2009\u202f]", " "),  # no-break spaces, common after §
        Rule("quote", "[“”„]", '"'),
        Rule("quote", "[‘’]", "'"),
        Rule("section", r"\bSec(?:t)?\. ?(\d)", r"Section \1"),
        Rule("section_sign", r"§ ?§", "§§"),
        Rule("section_sign", r"(§§?) *(\d)", r"\1 \2"),
        Rule("code", r"\bU\. ?S\. ?C\.", "U.S.C."),
        Rule("code", r"\bC\. ?F\. ?R\.", "C.F.R."),
        Rule("code", r"\bU\. S\.", "U.S."),
        # 42 USC 1983 -> 42 U.S.C. § 1983; 17 CFR 240.10b-5 -> 17 C.F.R. § 240.10b-5.
        Rule("code", rf"\b(\d+) {usc} ?(§+) ?(\d)", r"\1 U.S.C. \2 \3"),
        Rule("code", rf"\b(\d+) {usc} (\d)", r"\1 U.S.C. § \2"),
        Rule("code", rf"\b(\d+) {cfr} ?(§+) ?(\d)", r"\1 C.F.R. \2 \3"),
        Rule("code", rf"\b(\d+) {cfr} (\d)", r"\1 C.F.R. § \2"),
        # F. 3d -> F.3d, N.E. 2d -> N.E.2d.
        Rule("reporter", r"\b(F|P|A|So|N\.E|N\.W|S\.E|S\.W)\. (2d|3d|4th)\b", r"\1.\2"),
        Rule("rule", r"\bFRCP (\d)", r"Fed. R. Civ. P. \1"),
        Rule("rule", r"\bFed\. ?R\. ?(Civ|Crim|App)\. ?P\. ?(\d)", r"Fed. R. \1. P. \2"),
        Rule("rule", r"\bFed\. ?R\. ?Evid\. ?(\d)", r"Fed. R. Evid. \1"),
    ]


# --- units kept whole by tokenisation (applied to normalised text) ---------------------------

_SUB = r"\((?:[a-z]{1,2}|[ivx]{1,5}|[0-9]{1,3}|[A-Z]{1,2})\)"
# (a), (ii), (b)(ii), (1)(A).
CLAUSE = rf"{_SUB}(?:{_SUB})*"
# 12(b)(6), 4.2(b), 1983(a), 78j(b); 240.10b-5, 4.2; 10b-5, 12-301, 1981-1983.
PINPOINT = (
    rf"\b\d+[a-z]?(?:\.\d+[a-z]?)*(?:-\d+)?(?:{_SUB})+"
    r"|\b\d+[a-z]?(?:\.\d+[a-z]?)+(?:-\d+)?"
    r"|\b\d+[a-z]?-\d+[a-z]?\b"
)
# U.S.C., C.F.R., U.S., N.E.2d, F.3d, So.2d; e.g., i.e.
CODE = (
    r"\b(?:[A-Z][a-z]?\.){2,}(?:[0-9](?:d|th)\b)?|\b[A-Z][a-z]?\.[0-9](?:d|th)\b"
    r"|\b[a-z]\.(?:[a-z]\.)+"
)
# Single letters and the single-dot abbreviations of citations and party names (Ard. is the
# invented state of the sample corpus).
ABBREVIATION = (
    r"\b(?:[A-Z]|v|Fed|Civ|Crim|Evid|App|Cir|Supp|Ct|Ed|Id|id|Stat|Reg|Pub|No|Nos|Inc|Corp|Co"
    r"|Ltd|Cal|Del|Tex|Mass|Ill|Cong|Rep|Ann|al|cf|Pa|Ariz|Dist|Bankr|Ch|Sys|Grp|Litig|Cas"
    r"|Const|Rev|Sec|Admin|Ard)\."
)
SECTION_SIGNS = r"§§"


# --- splitting long documents ----------------------------------------------------------------

_WORD = re.compile(r"\S+")
# A word that opens a section or clause when it follows the end of a sentence or a heading:
# Section, Article, §, (a), (ii), 4.2, 12., IV.
_OPENER = re.compile(
    r"^(?:Section|SECTION|Sec\.|ARTICLE|Article|§+|Rule|(?:\((?:[a-z]{1,2}|[ivxl]{1,5}|\d{1,3}"
    r"|[A-Z]{1,2})\))+[.,;:]?|\d+(?:\.\d+)*\.?|[IVX]+\.|[A-H]\.)$"
)
_STARTER = re.compile(r"^[\"'(§A-Z0-9]")
_CLOSER = re.compile(r"[.:;!?][\"')\]]*$")
# Words ending in a period that do not end a sentence.
_NOT_ENDING = frozenset(
    "v. vs. Inc. Corp. Co. Ltd. No. Nos. Id. id. Cir. Sec. Sect. Art. Fed. Civ. Crim. App. "
    "Evid. Supp. Ct. Ed. Stat. Reg. Pub. Cal. Tex. Del. Mass. Ill. Cong. Rep. Ann. al. cf. "
    "Mr. Ms. Mrs. Dr. Jr. Sr. St. Pa. Ariz. Dist. Bankr. Ch. Sys. Grp. Litig. Cas. Const. "
    "Rev. Admin. Ard. e.g. i.e. "
    "etc. U.S. U.S.C. C.F.R. L.L.C. N.A.".split()
)
_INITIAL = re.compile(r"^\(?[A-Z]\.$")
SECTION, SENTENCE, WORD = 2, 1, 0


def boundary_levels(words: list[str]) -> list[int]:
    """How good a place each word is to start a window: SECTION, SENTENCE or WORD.

    Word i opens a section or clause if it looks like `Section`, `§`, `(b)`, `4.2.` or
    `IV.` and word i-1 ends a sentence, a heading or a list item (`.`, `:`, `;`); it
    opens a sentence if it starts with a capital, digit, quote or bracket after such an
    ending. Abbreviations (`v.`, `U.S.C.`, `Id.`) and initials end nothing.
    """
    levels = [SECTION] * len(words)
    for i in range(1, len(words)):
        before = words[i - 1]
        if before in ("and", "or") and i >= 2 and words[i - 2].endswith(";"):
            before = words[i - 2]  # "...; and (c) ..." opens clause (c)
        ends = bool(_CLOSER.search(before)) and before.rstrip("\"')]") not in _NOT_ENDING
        ends = ends and not _INITIAL.match(before)
        if not ends:
            levels[i] = WORD
        elif _OPENER.match(words[i]):
            levels[i] = SECTION
        elif _STARTER.match(words[i]):
            levels[i] = SENTENCE
        else:
            levels[i] = WORD
    return levels


def split_windows(text: str, window_words: int = 180, overlap_words: int = 40) -> list[str]:
    """Cut a long document into overlapping windows that follow its structure.

    A document of at most `window_words` words is returned whole. Otherwise, in one
    left-to-right pass:

    1. the window starting at word `s` ends before the last section/clause boundary in
       `(s + window_words // 2, s + window_words]`; failing that, before the last
       sentence boundary there; failing that, after exactly `window_words` words;
    2. the next window starts at the section/clause boundary nearest to
       `overlap_words` words before that end (between 0.5x and 1.5x the overlap back),
       else at the nearest sentence boundary there, else exactly `overlap_words` back;
    3. the last window runs to the end of the document.

    Every word lies in at least one window and no window has more than `window_words`
    words. Each boundary lookup is O(1) from prefix arrays, and with `overlap_words`
    under a quarter of `window_words` each window advances at least an eighth of a
    window, so the whole pass is linear in the length of the document. Windows are
    slices of `text`, so their spacing is the document's own.

    Examples:

    ```python
    from ssl_domains.plugins.legal import split_windows

    contract = " ".join(f"Section {i}. The Supplier shall deliver goods." for i in range(60))
    windows = split_windows(contract, window_words=40, overlap_words=8)
    windows[1].split()[0]  # 'Section'
    ```
    """
    spans = [m.span() for m in _WORD.finditer(text)]
    n = len(spans)
    if n <= window_words:
        return [text]
    levels = boundary_levels([text[a:b] for a, b in spans])
    # prev[k][i]: the last j <= i with levels[j] >= k; nxt[k][i]: the first j >= i.
    prev = {k: [0] * (n + 1) for k in (SECTION, SENTENCE)}
    nxt = {k: [n] * (n + 1) for k in (SECTION, SENTENCE)}
    for k in (SECTION, SENTENCE):
        last = 0
        for i in range(n):
            last = i if levels[i] >= k else last
            prev[k][i] = last
        prev[k][n] = last
        first = n
        for i in range(n - 1, -1, -1):
            first = i if levels[i] >= k else first
            nxt[k][i] = first

    def end_of(start: int) -> int:
        limit, floor = start + window_words, start + window_words // 2
        for k in (SECTION, SENTENCE):
            if prev[k][limit] > floor:
                return prev[k][limit]
        return limit

    def next_start(start: int, end: int) -> int:
        target = end - overlap_words
        lo = max(start + 1, end - overlap_words - overlap_words // 2)
        hi = max(lo, end - overlap_words // 2)
        for k in (SECTION, SENTENCE):
            candidates = [j for j in (prev[k][target], nxt[k][target]) if lo <= j <= hi]
            if candidates:
                return min(candidates, key=lambda j: abs(j - target))
        return max(lo, target)

    windows, start = [], 0
    while n - start > window_words:
        end = end_of(start)
        windows.append(text[spans[start][0] : spans[end - 1][1]])
        start = next_start(start, end)
    windows.append(text[spans[start][0] : spans[-1][1]])
    return windows


@dataclass
class LegalOptions:
    """Options of the legal domain (the `[domain]` config section).

    Args:
        window_words: the most words in one training document cut from a long one.
            Legal text runs at about 1.4 WordPiece tokens per word (citations and
            clause numbers split into several), so 180 words are about 215 tokens: the
            domain's `data.seq_len` of 256 holds nearly every window whole. With a
            shorter `data.seq_len`, lower this too, or the core cuts windows again
            wherever the token budget runs out.
        overlap_words: about how many words consecutive windows share, so that a
            clause cut at a window's end is seen whole at the next one's start.
    """

    window_words: int = 180
    overlap_words: int = 40

    def validate(self) -> None:
        from ssl_domains.api import UserError

        if self.window_words < 20:
            raise UserError(f"domain.window_words must be at least 20, got {self.window_words}")
        if not 0 <= self.overlap_words < self.window_words // 4:
            raise UserError(
                "domain.overlap_words must be at least 0 and under a quarter of "
                f"domain.window_words ({self.window_words // 4}), got {self.overlap_words}"
            )


class LegalDomain(TextDomain):
    """Legal text: cased WordPiece, citations kept whole, long documents windowed.

    Examples:

    ```python
    from ssl_domains.plugins.legal import LegalDomain, LegalOptions

    domain = LegalDomain(LegalOptions(window_words=120, overlap_words=20))
    windows = domain.split(open("contract.txt").read())  # section-aligned windows
    ```
    """

    name = "legal"
    description = "Contracts, statutes, court opinions and regulations."
    default_recipe = "mlm"
    lowercase = False
    Config = LegalOptions
    defaults = {
        "model.size": "tiny",
        "model.vocabulary_size": 6000,
        "data.seq_len": 256,  # a whole window of `window_words` words (see LegalOptions)
        # Few, long documents: hold out a larger share of them (the split is per
        # document, so 5% of the sample's 56 would be two or three, or none).
        "data.validation_fraction": 0.15,
        "train.steps": 600,
        "train.batch_size": 32,
    }

    def sample_corpus(self) -> list[Path]:
        return [DATA / "corpus.txt"]

    def sample_labels(self) -> Path:
        """`context_labels.csv`: clauses labelled with the party they bind, told with the
        same words in both classes (`labels.csv`: the older clause-type set)."""
        return DATA / "context_labels.csv"

    def normalizations(self) -> list[Rule]:
        return normalization_rules()

    def units(self) -> list[str]:
        return [CLAUSE, PINPOINT, CODE, ABBREVIATION, SECTION_SIGNS]

    def split(self, text: str) -> list[str]:
        return split_windows(text, self.config.window_words, self.config.overlap_words)
