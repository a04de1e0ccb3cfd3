"""Secrets and email addresses in source code and config files, and the rules that
redact them.

Credentials leak into repositories all the time; a model must never be trained on
them (it could reproduce them), so they are replaced while the corpus is read, and
the same rules run again in the exported model's graph. Two families:

- credentials with a recognisable shape, replaced whole by a placeholder of their
  kind: private key blocks, AWS access key ids, GitHub, Slack and Google API tokens,
  JWTs and bearer tokens, and the password in a URL (`scheme://user:[SECRET]@host`);
  email addresses (authors, users) become `[EMAIL]`;
- a literal value assigned to a key whose name says it is secret (`password`,
  `DB_PASSWORD`, `api_key`, `clientSecret`, `"secret"`, `token`, ...): the value
  becomes `[SECRET]` and the key name stays, so the model still learns the shape
  of a config file.

Only literal values of three or more characters are redacted. `password = input()`,
`token = next(tokens)`, `self.password = password`, `password: str` and
`if token == 'async'` are code, not secrets, and stay.
Limits, by design: an unquoted value (INI, YAML, `.properties`) is taken for a
secret only when it starts with a letter and holds a digit or a symbol
(`hunter2`, `sk-live-4f9a`): a bare word such as `letmein` cannot be told from a
variable name in `password = letmein`, except in `UPPER_CASE_KEY=value` lines
(`.env`, shell, compose), where any value is redacted. Values that start with
`$`, `{`, `<` or `%` are references and templates (`${DB_PASSWORD}`,
`{{ vault_pw }}`, `<your key>`, `%(pw)s`), not secrets, and stay. A literal that
no key names (`login("admin", "hunter2")`, `#define API_KEY "..."`) is not found
unless it has a recognisable shape.

Every pattern stays in the common subset of Python `re` and RE2 (no look-around,
no back-references): the tests check both engines agree on real files.
"""

from __future__ import annotations

from ssl_domains.api import Rule

# Names of keys that hold secrets; a key is secret when its name ends in one of these
# (case-insensitive): `password`, `DB_PASSWORD`, `dbPassword`, `aws_secret_access_key`.
_SECRET_NAMES = (
    r"pass(?:word|wd|phrase|code)|pwd|secret|token|credentials?"
    r"|(?:api|access|private|secret|auth|signing|encryption)[_-]?key|apikey"
)
_NAME = rf"[A-Za-z0-9_.-]{{0,40}}(?:{_SECRET_NAMES})"
# A key, bare or quoted (JSON, YAML, `config["password"]`), after a character that
# cannot be part of it; the quotes must pair, so `'Password: '` is no key.
_KEY = rf"""(^|[^"'A-Za-z0-9_.-])((?:"{_NAME}"|'{_NAME}'|{_NAME})\]?"""
# An optional type annotation between key and `=`: `password: str = "..."`.
_ANNOTATION = r"(?:[ \t]*:[ \t]*[A-Za-z_][A-Za-z0-9_.]*(?:\[[A-Za-z0-9_., ]*\])?)?"
# `=`, Go's `:=`, Ruby's and PHP's `=>`, and `:` (JSON, YAML, JS objects). Not `==`:
# `token == 'async'` is how tokenizers are written, not a leaked secret.
_OPERATOR = r"[ \t]*(?::=|=>|=|:)[ \t]*"
# A quoted literal of 3 or more characters (`token = "'"` is a lexer, not a leak), escapes
# allowed, not starting like a reference or a placeholder.
_DOUBLE = r'"(?:[^"\\\r\n$\[{<%]|\\.)(?:[^"\\\r\n]|\\.){2,}"'
_SINGLE = r"'(?:[^'\\\r\n$\[{<%]|\\.)(?:[^'\\\r\n]|\\.){2,}'"
# What may follow a literal value: so `f("Password: ", "x")` holds no `": "` value.
_AFTER = r"([ \t,;)}\]#/]|\r?$)"
# An unquoted config value: starts with a letter, holds a digit or a symbol, ends the line.
_BARE_CHAR = r"[^ \t\r\n\"'(),;\[\]{}$<>:]"
_BARE = rf"[A-Za-z]{_BARE_CHAR}*[0-9!@#%^&*+/=~?-]{_BARE_CHAR}*"
# `UPPER_CASE` names of environment variables; `PASS` only as a word (`DB_PASS`, not `BYPASS`).
_ENV_NAME = (
    r"[A-Z0-9_]{0,40}(?:PASS(?:WORD|WD|PHRASE|CODE)|PWD|SECRET|TOKEN|CREDENTIALS?"
    r"|(?:API|ACCESS|PRIVATE|SECRET|AUTH|SIGNING|ENCRYPTION)_?KEY|APIKEY)"
    r"|(?:[A-Z0-9_]{0,40}_)?PASS"
)

PLACEHOLDERS = {
    "private_key": "[PRIVATE_KEY]",
    "aws_key": "[AWS_KEY]",
    "github_token": "[GITHUB_TOKEN]",
    "slack_token": "[SLACK_TOKEN]",
    "google_api_key": "[GOOGLE_API_KEY]",
    "jwt": "[JWT]",
    "bearer_token": "[TOKEN]",
    "url_password": "[SECRET]",
    "assigned_secret": "[SECRET]",
    "email": "[EMAIL]",
}
# Top-level domains an address in code is likely to end in (generic, and the largest
# country codes); `example`, `test` and `local` for the addresses of docs and tests.
_TOP_LEVEL = (
    r"(?:com|org|net|edu|gov|mil|int|io|dev|ai|app|co|info|biz|me|eu|uk|de|fr|nl|es|it"
    r"|ch|se|no|dk|fi|pl|cz|at|be|ru|cn|jp|kr|in|br|au|ca|us|example|test|local)"
)


def redaction_rules() -> list[Rule]:
    """Secret-shaped credentials first, whole; then literal values of secret keys.

    Order matters: a token assigned to a secret key (`"api_key": "AIza..."`) is
    replaced by its kind's placeholder first, and the assignment rules leave a
    value that already is a placeholder alone, so each secret counts once.
    """
    p = PLACEHOLDERS
    return [
        # A PEM block, across lines (or `\n` escapes inside a JSON string).
        Rule(
            "private_key",
            r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----",
            p["private_key"],
        ),
        # A block cut off before its END line: the header and its base64 body.
        Rule(
            "private_key",
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[A-Za-z0-9+/=\\ \t\r\n]*",
            p["private_key"],
        ),
        Rule("aws_key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", p["aws_key"]),
        Rule(
            "github_token",
            r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
            p["github_token"],
        ),
        Rule("slack_token", r"\bxox[baprs]-[A-Za-z0-9-]{10,}", p["slack_token"]),
        Rule("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}", p["google_api_key"]),
        Rule(
            "jwt",
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
            p["jwt"],
        ),
        Rule(
            "bearer_token",
            r"(?i)\b(bearer)[ \t]+[A-Za-z0-9._~+/-]{16,}=*",
            rf"\1 {p['bearer_token']}",
        ),
        Rule(
            "url_password",
            r"([A-Za-z][A-Za-z0-9+.-]{0,20}://[^:/@ \t\r\n\"'<>]*:)"
            r"[^@/ \t\r\n\"'<>%{$\[][^@/ \t\r\n\"'<>]*@",
            rf"\1{p['url_password']}@",
        ),
        # Authors' and users' addresses are personal data, not code. The top-level
        # domain must be a common one: `q@k.transpose` and `x@self.weight` are Python.
        Rule("email", rf"(?i)\b[a-z0-9._%+-]+@(?:[a-z0-9-]+\.)+{_TOP_LEVEL}\b", p["email"]),
        # `password = "hunter2"`, `"secret": "..."`, `apiKey: '...'`, `pw := "..."`.
        Rule(
            "assigned_secret",
            rf"(?im){_KEY}{_ANNOTATION}{_OPERATOR}){_DOUBLE}{_AFTER}",
            rf'\1\2"{p["assigned_secret"]}"\3',
        ),
        Rule(
            "assigned_secret",
            rf"(?im){_KEY}{_ANNOTATION}{_OPERATOR}){_SINGLE}{_AFTER}",
            rf"\1\2'{p['assigned_secret']}'\3",
        ),
        # SQL: `CREATE USER app IDENTIFIED BY 's3cr3t'`, `ALTER ROLE app PASSWORD 's3cr3t'`.
        Rule(
            "assigned_secret",
            rf"(?i)\b((?:identified[ \t]+by|password)[ \t]+){_SINGLE}",
            rf"\1'{p['assigned_secret']}'",
        ),
        # `DB_PASSWORD=s3cr3t`, `export GITHUB_TOKEN=...`, `- POSTGRES_PASSWORD=...`.
        Rule(
            "assigned_secret",
            rf"(?m)^([ \t]*(?:-[ \t]+)?(?:export[ \t]+)?(?:{_ENV_NAME})=)"
            r"[^ \t\r\n\"'$\[{<%][^ \t\r\n\"']*",
            rf"\1{p['assigned_secret']}",
        ),
        # `password = hunter2` (INI), `api_key: sk-live-4f9a` (YAML), alone on their line.
        Rule(
            "assigned_secret",
            rf"(?im)^([ \t]*(?:-[ \t]+)?)((?:\"{_NAME}\"|'{_NAME}'|{_NAME})[ \t]*[=:][ \t]*)"
            rf"{_BARE}([ \t\r]*)$",
            rf"\1\2{p['assigned_secret']}\3",
        ),
    ]
