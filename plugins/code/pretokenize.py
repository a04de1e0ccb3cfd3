"""Code-aware pre-tokenisation, as rewrite rules and units that run in the TF graph.

BERT's WordPiece splits on whitespace and punctuation, which suits prose but loses
what carries meaning in code. These rules run after redaction, in training and in
the exported model alike, so a model never sees code prepared two ways:

- line structure becomes tokens: a newline is ` [NL] `, a blank line two of them
  (longer runs collapse to one blank line), and each indentation level at the
  start of a line (4 spaces or a tab) is ` [INDENT] `. RE2 has no loops, so there
  is one rule per depth, deepest first: a line indented deeper than
  `MAX_INDENT` (8) levels gets 8 tokens and the rest of its indentation is dropped.
  Two-space indentation (YAML, JavaScript, Ruby) counts one level per 4 spaces.
- comments are kept as natural language after a `[COMMENT]` marker, since they
  are the documentation a model should learn to relate to code: `#` comments
  (followed by a space: `#include` and `#!` stay code), `//` and `/*` comments at
  the start of a line or after `;`, `{` or `}` (so Python's `a // b` stays
  floor division), and SQL `--` comments at the start of a line or after `;`.
  A `#` inside a string can be taken for a comment too; the cost is one marker.
  In Markdown, `# Heading` becomes `[COMMENT] Heading`: prose, as intended.
- string literals are kept, docstrings included: they are the natural language
  of code. Only opaque runs collapse: 32 or more hex digits become `[HEX]`
  (hashes, keys, UUID-free digests) and 64 or more base64 characters `[BLOB]`
  (embedded data); they would otherwise fill whole sequences with noise.
- identifiers split on case: `getUserName` -> `get User Name`, `HTTPServer` ->
  `HTTP Server`, `base64Encode` -> `base64 Encode`, so the pieces are shared with
  prose and with snake_case names. snake_case needs no rule: `_` is punctuation
  to WordPiece, so `snake_case` is already `snake _ case`, and the `_` token
  keeps the boundary visible. The split loses whether a name was one word; the
  capital letters (the vocabulary is cased) keep most of that. A lowercase run of
  one letter does not split (`iPhone`, `xPos`, `0xFF` stay whole).

Units keep multi-character operators (`==`, `->`, `**`, `//`, `:=`, ...), Python's
triple quotes and dunder names (`__init__`) as one word each, instead of one token
per punctuation character.
"""

from __future__ import annotations

from ssl_domains.api import Rule

MAX_INDENT = 8
MARKERS = ["[NL]", "[INDENT]", "[COMMENT]", "[HEX]", "[BLOB]"]

OPERATORS = [
    "===",
    "!==",
    "**=",
    "//=",
    ">>=",
    "<<=",
    "...",
    '"""',
    "'''",
    "->",
    "=>",
    "==",
    "!=",
    "<=",
    ">=",
    "+=",
    "-=",
    "*=",
    "/=",
    "%=",
    "&=",
    "|=",
    "^=",
    "**",
    "//",
    "::",
    ":=",
    "&&",
    "||",
    "<<",
    ">>",
    "++",
]
DUNDER = r"__[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*__"


def normalization_rules() -> list[Rule]:
    """Line endings, comments, opaque runs, identifier case, indentation, newlines."""
    rules = [
        Rule("newline", r"\r\n?", "\n"),
        Rule("newline", r"[ \t]+\n", "\n"),
        Rule("newline", r"\n\n\n+", "\n\n"),
        Rule("comment", r"(?m)(^|[ \t])#+[ \t]+", r"\1[COMMENT] "),
        Rule("comment", r"(?m)(^[ \t]*|[;{}][ \t]*)(?://+|/\*+)[ \t]*", r"\1[COMMENT] "),
        Rule("comment", r"(?m)(^[ \t]*|;[ \t]*)--[ \t]+", r"\1[COMMENT] "),
        Rule("hex", r"\b[0-9A-Fa-f]{32,}\b", "[HEX]"),
        Rule("blob", r"[A-Za-z0-9+/]{64,}={0,2}", "[BLOB]"),
        Rule("camel_case", r"([A-Z])([A-Z][a-z])", r"\1 \2"),
        Rule("camel_case", r"([a-z]{2})([A-Z])", r"\1 \2"),
        Rule("camel_case", r"([a-z][0-9]+)([A-Z][a-z])", r"\1 \2"),
    ]
    for depth in range(MAX_INDENT, 0, -1):
        rules.append(Rule("indent", rf"(?m)^(?:    |\t){{{depth}}}", "[INDENT] " * depth))
    rules.append(Rule("newline", r"\n", " [NL] "))
    return rules


def units() -> list[str]:
    """Operators, triple quotes and dunder names, each kept as one word."""
    import re

    operators = "|".join(re.escape(op) for op in sorted(OPERATORS, key=len, reverse=True))
    return [DUNDER, operators]
