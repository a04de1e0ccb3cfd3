"""The code domain: files as documents, secrets redacted, code-aware pre-tokenisation."""

from collections import Counter

import pytest
import tensorflow as tf
from ssl_domains.plugins.code import DATA, CodeDomain, CodeOptions
from ssl_domains.plugins.code.languages import language_of
from ssl_domains.plugins.code.pretokenize import MAX_INDENT
from ssl_domains.plugins.code.stdlib import stdlib_root, stdlib_selection

from ssl_domains.data.corpus_files import BadFile, find_files
from ssl_domains.data.deduplicator import Deduplicator
from ssl_domains.data.prepare_corpus import prepare_corpus
from ssl_domains.data.records import ReadOptions
from ssl_domains.text.encoder import domain_normalizer, domain_units
from ssl_domains.text.rules import apply_rules
from ssl_domains.text.tokenizer import DomainTokenizer

DOMAIN = CodeDomain()
SAMPLE = DATA / "sample"

# Every secret planted in the shipped sample (all fake; each one holds "FAKE" or is
# the body of a fake key or token).
PLANTED = [
    "django-insecure-FAKE-7t#q9x!v2m@k4p%w8z^r1s&c0d",
    "AKIAQ7FAKEEXAMPLE2X4",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEY42",
    "Pg-FAKE-pass-2024",
    "xoxb-123456789012-1234567890123-FAKEslackTOKENforTESTS",
    "eyJzdWIiOiJmYWtlLXVzZXItNDIiLCJuYW1lIjoiRXhhbXBsZSBUZXN0ZXIifQ",
    "AIzaSyFAKE-google-key_for_ssl_domains01",
    "cs_FAKE_9f8e7d6c5b4a",
    "J4va-FAKE-secret!",
    "ghp_FAKEtokenForSslDomainsRedaction00001",
    "G0-FAKE-dsn-pass",
    "github_pat_11FAKE0TOKEN0FOR0SSL0DOMAINS_0123456789abcdef",
    "Sh-FAKE-passphrase-77",
    "sk_FAKE_bearer_0a1b2c3d4e5f6g7h",
    "rb_FAKE_live_5566778899",
    "Ruby-FAKE-pw-1",
    "Sql-FAKE-pw-2024",
    "Yaml-FAKE-pw-31",
    "AKIAZ9FAKEEXAMPLE7Q1",
    "yaml/FAKE+secret/AccessKey0099",
    "VGhpcyBpcyBOT1QgYSByZWFsIHByaXZhdGUga2V5LiBJdCBvbmx5IGV4aXN0cyBz",
    "ComposeFAKEpassword",
    "Redis-FAKE-pw-9",
    "json-FAKE-client-secret-8d7c",
    "IEl0IG9ubHkgZXhpc3RzIHNvIHRoYXQgc3NsLWRvbWFpbnMgaGFzIHNvbWV0aGlu",
    "xoxp-2222222222-3333333333-FAKEuserTOKEN",
    "Tr0ub4dor&3-FAKE",
    "ini-FAKE-apikey-0042",
    "toml-FAKE-pw-2025",
    "correcthorsebatterystapleFAKE",
    "Env-FAKE-dsn-pw",
    "sk_live_FAKE51HxYzAbCdEf",
]


def read(path, domain=DOMAIN):
    return list(domain.read(path, ReadOptions()))


def clean_file(path, domain=None):
    domain = domain or CodeDomain()
    counts = Counter()
    texts = [domain.clean(record, counts) for record in read(path, domain)]
    return "\n".join(t for t in texts if t), counts


def normalize(text: str) -> str:
    return domain_normalizer(DOMAIN)(tf.constant([text])).numpy()[0].decode()


@pytest.mark.parametrize(
    "name, language",
    [
        ("app.py", "python"),
        ("client.js", "javascript"),
        ("api.ts", "typescript"),
        ("Server.java", "java"),
        ("server.go", "go"),
        ("lib.rs", "rust"),
        ("ringbuf.h", "c"),
        ("vector.cpp", "cpp"),
        ("models.rb", "ruby"),
        ("deploy.sh", "shell"),
        ("schema.sql", "sql"),
        ("app.YML", "yaml"),
        ("poetry.toml", "toml"),
        ("secrets.json", "json"),
        ("setup.cfg", "ini"),
        ("production.env", "env"),
        (".env", "env"),
        ("README.md", "markdown"),
        ("Dockerfile", "dockerfile"),
    ],
)
def test_language_comes_from_the_file_extension(tmp_path, name, language):
    assert language_of(tmp_path / name) == language
    (tmp_path / name).write_text("x = 1\n")
    assert read(tmp_path / name) == [f"[LANG_{language.upper()}]\nx = 1\n"]


def test_unknown_extensions_and_binary_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "logo.svg").write_text("<svg/>")
    with pytest.raises(BadFile, match="unknown source language for '.svg'"):
        read(tmp_path / "logo.svg")
    (tmp_path / "blob.py").write_bytes(b"x = 1\x00\x01\x02")
    with pytest.raises(BadFile, match="binary"):
        read(tmp_path / "blob.py")


@pytest.mark.parametrize(
    "name, content, kind, secret",
    [
        ("aws.toml", 'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\n', "aws_key", "AKIAIOSFODNN7"),
        ("ci.yml", "env:\n  GH_TOKEN: ghp_" + "a1B2" * 9 + "\n", "github_token", "a1B2a1B2a1B2"),
        (
            "release.sh",
            "gh auth login --with-token <<< github_pat_11ABCDEFG0123456789_abcdefghijklmnop\n",
            "github_token",
            "11ABCDEFG0123456789",
        ),
        (
            "notify.py",
            'client = WebClient(token="xoxb-1234-5678-abcdEFGH")\n',
            "slack_token",
            "abcdEFGH",
        ),
        ("maps.js", 'const mapsKey = "AIza' + "Xy0_-" * 7 + '";\n', "google_api_key", "Xy0_-Xy0_-"),
        (
            "session.json",
            '{"session": "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl"}\n',
            "jwt",
            "eyJzdWIiOiIxMjM0In0",
        ),
        (
            "call.sh",
            'curl -H "Authorization: Bearer abcdef0123456789abcdef" https://api.example.com\n',
            "bearer_token",
            "abcdef0123456789",
        ),
        (
            "keys.py",
            'KEY = """-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n'
            'AAAAEbm9uZQAAAAAAAAABAAAAMwAAAAt\n-----END OPENSSH PRIVATE KEY-----\n"""\n',
            "private_key",
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU",
        ),
        ("db.yaml", "url: postgresql://admin:S3cretPw@db:5432/app\n", "url_password", "S3cretPw"),
        ("settings.py", 'password = "hunter2"\n', "assigned_secret", "hunter2"),
        ("prod.env", "DB_PASSWORD=correcthorse\n", "assigned_secret", "correcthorse"),
        ("app.yaml", "stripe:\n  api_key: sk-test-51abc\n", "assigned_secret", "sk-test-51abc"),
        ("creds.json", '{"secret": "s3cr3t-value"}\n', "assigned_secret", "s3cr3t-value"),
        ("main.go", 'apiKey := "abc123def"\n', "assigned_secret", "abc123def"),
        ("Db.java", 'String dbPassword = "x9y8z7";\n', "assigned_secret", "x9y8z7"),
        ("smtp.ini", "[smtp]\npassword = Tr0ub4dor&3\n", "assigned_secret", "Tr0ub4dor&3"),
        ("roles.sql", "ALTER ROLE app PASSWORD 'pw-2024';\n", "assigned_secret", "pw-2024"),
        ("setup.py", 'author_email = "jane.doe@example.org"\n', "email", "jane.doe"),
        ("main.c", "/* Maintainer: Li Wei <li.wei@tsinghua.edu.cn> */\n", "email", "li.wei"),
    ],
)
def test_each_secret_kind_planted_in_a_realistic_file_is_redacted(
    tmp_path, name, content, kind, secret
):
    (tmp_path / name).write_text(content)
    cleaned, counts = clean_file(tmp_path / name)
    assert counts == Counter({kind: 1})
    assert secret not in cleaned and secret not in normalize(cleaned)


def test_no_planted_secret_survives_cleaning_of_the_shipped_sample():
    domain, counts, texts = CodeDomain(), Counter(), []
    for path in find_files([SAMPLE]):
        text, file_counts = clean_file(path, domain)
        texts.append(text)
        counts += file_counts
    corpus = "\n".join(texts)
    assert [s for s in PLANTED if s in corpus] == []
    assert "FAKE" not in corpus
    assert counts == Counter(
        assigned_secret=18,
        url_password=3,
        aws_key=2,
        github_token=2,
        slack_token=2,
        private_key=2,
        google_api_key=1,
        jwt=1,
        bearer_token=1,
        email=2,
    )


@pytest.mark.parametrize(
    "code",
    [
        'password = input("Password: ")',
        "token = next(tokens)",
        "secret = user.get_password()",
        "self.password = password",
        "def login(self, user, password: str = None):",
        "if token == 'async' and not stashed:",
        """token = "'", token[0][1:-1]""",
        'api_key = os.environ["API_KEY"]',
        'password = ""',
        "db_password: ${DB_PASSWORD}",
        'dsn = "postgres://%s:%s@%s/db" % (user, password, host)',
        "getpass(prompt='Password: ', stream=None)",
        'print("Password: ", "is required")',
        'TOKEN_TYPE = "Bearer"',
        "BYPASS=1",
        "export API_TOKEN=<your token>",
        "password: letmein",
        "scores = q@k.transpose(-2, -1)",
        "y = x@self.weight.T",
        "@dataclass(frozen=True)",
    ],
)
def test_ordinary_code_is_untouched_by_redaction(code):
    counts = Counter()
    assert CodeDomain().clean(code, counts) == code
    assert counts == Counter()


@pytest.mark.parametrize(
    "raw, split",
    [
        ("getUserName", "get User Name"),
        ("HTTPServer", "HTTP Server"),
        ("XMLHttpRequest", "XML Http Request"),
        ("base64Encode", "base64 Encode"),
        ("snake_case_name", "snake_case_name"),
        ("iPhone xPos 0xFF", "iPhone xPos 0xFF"),
        ("[LANG_PYTHON] [AWS_KEY]", "[LANG_PYTHON] [AWS_KEY]"),
    ],
)
def test_identifiers_split_on_camel_case_and_markers_do_not(raw, split):
    assert normalize(raw) == split


def test_newlines_and_indentation_levels_become_tokens_up_to_a_fixed_depth():
    code = "def f(x):\n    if x:\n\t\treturn 1\n\n\n\n    return 2   \n"
    assert normalize(code) == (
        "def f(x): [NL] [INDENT] if x: [NL] [INDENT] [INDENT] return 1 [NL]  [NL] "
        "[INDENT] return 2 [NL] "
    )
    deep = normalize(" " * 4 * (MAX_INDENT + 2) + "x = 1")
    assert deep.split().count("[INDENT]") == MAX_INDENT


@pytest.mark.parametrize(
    "raw, marked",
    [
        ("x = 1  # add one", "x = 1  [COMMENT] add one"),
        ("    // reject zero", "[INDENT] [COMMENT] reject zero"),
        ("free(p); /* done */", "free(p); [COMMENT] done */"),
        ("-- Billing schema", "[COMMENT] Billing schema"),
        ("#include <stdio.h>", "#include <stdio.h>"),
        ("#!/usr/bin/env python", "#!/usr/bin/env python"),
        ("half = total // 2", "half = total // 2"),
        ("url = 'https://example.com'", "url = 'https://example.com'"),
        ('h = "' + "0123456789abcdef" * 3 + '"', 'h = "[HEX]"'),
    ],
)
def test_comments_are_marked_and_kept_as_text(raw, marked):
    assert normalize(raw) == marked


def test_markers_and_operators_survive_pretokenisation_whole(tmp_path):
    code = "class A:\n    def __init__(self):  # set up\n        x == 1\n"
    (tmp_path / "app.py").write_text(code)
    (record,) = read(tmp_path / "app.py")
    text = normalize(DOMAIN.clean(record, Counter()) + '\npassword = "hunter2"')
    tokenizer = DomainTokenizer(lowercase=False, units=domain_units(DOMAIN))
    words = [w.decode() for w in tokenizer.pretokenize([text]).to_list()[0]]
    for whole in ("[LANG_PYTHON]", "[NL]", "[INDENT]", "[COMMENT]", "[SECRET]", "__init__", "=="):
        assert whole in words
    plain = DomainTokenizer(lowercase=False).pretokenize([text]).to_list()[0]
    assert b"[NL]" not in plain and b"NL" in plain


def test_python_and_tensorflow_rules_agree_on_sample_and_stdlib_files():
    files = find_files([SAMPLE]) + stdlib_selection()[::6][:50]
    records = [record for path in files for record in read(path)]
    assert len(records) >= 70
    rules = DOMAIN.redactions() + DOMAIN.normalizations()
    in_graph = domain_normalizer(DOMAIN)(tf.constant(records)).numpy()
    in_python = [apply_rules(rules, record) for record in records]
    assert [x.decode() for x in in_graph] == in_python


def test_duplicate_and_empty_files_are_dropped_and_code_passes_the_language_check(tmp_path):
    code = "def area(width, height):\n    return width * height\n" * 6
    files = [("a.py", code), ("b.py", code), ("c.go", "func main() {}\n"), ("d.py", "")]
    for name, text in files:
        (tmp_path / "src").mkdir(exist_ok=True)
        (tmp_path / "src" / name).write_text(text)
    report = prepare_corpus(
        CodeDomain(),
        find_files([tmp_path / "src"]),
        tmp_path / "out",
        ReadOptions(),
        0.0,
        dedup=Deduplicator(),
    )
    assert report.dropped == {"exact_duplicate": 1, "empty": 1}
    assert report.train_records == 2


def test_long_files_are_split_at_top_level_definitions_and_each_piece_is_tagged(tmp_path):
    blocks = [f"def f{i}():\n    return {i}\n" for i in range(6)]
    (tmp_path / "m.py").write_text("\n\n".join(blocks))
    domain = CodeDomain(CodeOptions(max_chars=60))
    (document,) = read(tmp_path / "m.py", domain)
    pieces = domain.split(document)
    assert len(pieces) == 3
    assert all(p.startswith("[LANG_PYTHON]\ndef f") for p in pieces)
    assert "".join(pieces).count("def ") == 6


def test_the_stdlib_selection_is_deterministic_bounded_and_free_of_tests():
    first, second = stdlib_selection(), stdlib_selection()
    assert first == second == sorted(first)
    assert 300 <= len(first) <= 400
    assert sum(p.stat().st_size for p in first) <= 4_000_000
    root = stdlib_root()
    parts = {part for p in first for part in p.relative_to(root).parts[:-1]}
    assert not parts & {"test", "tests", "idlelib", "site-packages"}
    assert CodeDomain().sample_corpus() == [*first, SAMPLE]
