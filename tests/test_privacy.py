"""Nothing private leaks: no labeled row or redacted identifier in any file a run or an
export writes, no network unless a remote preset is named."""

import csv
import gzip
import io
import socket
import zipfile
from pathlib import Path

import pytest
from rich.console import Console

BIOMEDICAL_LABELS = Path(__file__).parents[1] / "plugins" / "biomedical" / "data" / "labels.csv"
CODE_SAMPLE = Path(__file__).parents[1] / "plugins" / "code" / "data" / "sample"
# Never stored at all: fine-tuning keeps no row, so it cannot survive even unredacted.
MARKER = "QZXROWMARKER4471"
# What the biomedical domain redacts (`plugins.biomedical.redaction_rules`).
PATIENT = (
    "Patient: Zebulon Quarrington, MRN: 48213977, DOB: 03/14/1961, tel (617) 555-0199, "
    "portal zq.qzxmail61@gmail.com."
)
PATIENT_SECRETS = [
    "Zebulon", "Quarrington", "48213977", "03/14/1961", "555-0199", "zq.qzxmail61", MARKER
]  # fmt: skip
# What the code domain redacts (`plugins.code.redaction`): keys, tokens, passwords.
CODE_SECRETS = {
    "AKIAQZXPLANTED7K2M9X": 'AWS_ACCESS_KEY_ID = "AKIAQZXPLANTED7K2M9X"\n',
    "ghp_QzxPlanted0123456789abcdefghijKLMNOP": (
        'GITHUB = "ghp_QzxPlanted0123456789abcdefghijKLMNOP"\n'
    ),
    "Qzx-hunter2-planted": 'db_password = "Qzx-hunter2-planted"\n',
    "QzxUrlPw77": 'DSN = "postgresql://admin:QzxUrlPw77@db:5432/app"\n',
    "qzx.maintainer": "# Maintainer: Qzx Maintainer <qzx.maintainer@example.org>\n",
}


def searchable(path: Path, data: bytes | None = None) -> list[bytes]:
    """The bytes of a file and of everything packed in it (zip members such as the
    `.keras` archive's, gzip streams), lower-cased: what a planted string could hide in."""
    data = path.read_bytes() if data is None else data
    found = [data.lower()]
    if data[:2] == b"\x1f\x8b":
        found += searchable(path, gzip.decompress(data))
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                found += searchable(path, archive.read(name))
    return found


def grep_tree(roots: list[Path], planted: list[str]) -> tuple[int, list[tuple[str, str]]]:
    """(files searched, `(file, planted string)` for every hit) under `roots`."""
    files = [p for root in roots for p in sorted(root.rglob("*")) if p.is_file()]
    hits = [
        (str(path), secret)
        for path in files
        for blob in searchable(path)
        for secret in planted
        if secret.lower().encode() in blob
    ]
    return len(files), hits


class NetworkGuard:
    """Socket calls that reach out (DNS, TCP/UDP connect) raise and are recorded;
    local ones (Unix sockets of worker pools) go through."""

    def __init__(self, monkeypatch):
        self.attempts: list[str] = []
        connect = socket.socket.connect

        def refuse(what: str):
            self.attempts.append(what)
            raise ConnectionRefusedError(f"network blocked by the test: {what}")

        def guarded_connect(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                refuse(f"connect {address}")
            return connect(sock, address)

        monkeypatch.setattr(socket.socket, "connect", guarded_connect)
        monkeypatch.setattr(socket, "create_connection", lambda a, *_, **__: refuse(f"{a}"))
        monkeypatch.setattr(socket, "getaddrinfo", lambda host, *_, **__: refuse(f"dns {host}"))


def planted_biomedical(path: Path) -> Path:
    """The biomedical labeled sample's first 64 rows, each carrying a patient's
    identifiers and the marker."""
    with BIOMEDICAL_LABELS.open(newline="") as handle:
        rows = list(csv.DictReader(handle))[:64]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for row in rows:
            writer.writerow([f"{PATIENT} {row['text']} {MARKER}", row["label"]])
    return path


def test_no_patient_identifier_or_labeled_row_reaches_a_fine_tuning_run_or_its_exports(
    tmp_path, monkeypatch, pretrained_run
):
    from ssl_domains.config import FinetuneConfig
    from ssl_domains.export.saved_model import export
    from ssl_domains.pipelines.finetuning import finetune

    data = planted_biomedical(tmp_path / "labels.csv")
    written = tmp_path / "written"
    written.mkdir()
    config = FinetuneConfig()
    config.run.source = str(pretrained_run)
    config.run.domain = "biomedical"
    config.run.dir = str(written / "ft")
    config.data.data = str(data)
    config.data.seq_len = 32
    config.train.epochs = 2
    config.train.checkpoint_every = 2  # checkpoints keep the data position: rows must not be in it
    guard = NetworkGuard(monkeypatch)
    with (written / "console.log").open("w") as log:
        console = Console(file=log, width=200)
        result = finetune(config, console=console, progress=False)
        for fmt in ("saved_model", "keras", "preset"):
            console.print(export(result.run.path, fmt, written / fmt))
    assert guard.attempts == []
    searched, hits = grep_tree([written], PATIENT_SECRETS)
    print(f"planted {PATIENT_SECRETS}; searched {searched} files; hits {hits}")
    assert searched > 20 and hits == []


def planted_code(root: Path) -> tuple[Path, Path]:
    """(a corpus folder of config files holding the planted secrets, a labeled set of
    the code domain's sample functions, each row led by one of them)."""
    corpus = root / "planted"
    corpus.mkdir()
    for i, line in enumerate(CODE_SECRETS.values()):
        (corpus / f"settings_{i}.py").write_text(f'"""Service settings."""\n\n{line}TIMEOUT = 30\n')
    with (CODE_SAMPLE.parent / "context_labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))[:48]
    labels = root / "labels.csv"
    with labels.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for i, row in enumerate(rows):
            secret = list(CODE_SECRETS.values())[i % len(CODE_SECRETS)]
            writer.writerow([f"{secret}# {MARKER}\n{row['text']}", row["label"]])
    return corpus, labels


def test_code_pretraining_fine_tuning_and_exports_keep_no_secret_and_touch_no_network(
    tmp_path, monkeypatch
):
    from ssl_domains.config import FinetuneConfig, resolve_config
    from ssl_domains.export.saved_model import export
    from ssl_domains.pipelines.finetuning import finetune
    from ssl_domains.pipelines.pretraining import pretrain
    from ssl_domains.plugin.registry import registry

    corpus, labels = planted_code(tmp_path)
    written = tmp_path / "written"
    written.mkdir()
    monkeypatch.setenv("SSL_DOMAINS_CACHE", str(written / "cache"))  # prepared shards too
    guard = NetworkGuard(monkeypatch)
    with (written / "console.log").open("w") as log:
        console = Console(file=log, width=200)
        flags = {
            "run.domain": "code",
            "run.dir": str(written / "pretrain"),
            "train.steps": 2,
            "data.corpus": [str(CODE_SAMPLE), str(corpus)],  # the embedded sample + plants
        }
        sets = ["model.size=nano", "model.vocabulary_size=1000", "data.seq_len=64"]
        config = resolve_config(registry(), flags=flags, sets=[*sets, "train.batch_size=8"])
        pretrained = pretrain(config, console=console, progress=False)
        tuning = FinetuneConfig()
        tuning.run.source = str(pretrained.run.path)
        tuning.run.dir = str(written / "ft")
        tuning.data.data = str(labels)
        tuning.data.seq_len = 64
        tuning.train.epochs = 1
        tuned = finetune(tuning, console=console, progress=False)
        for source, fmt, out in [
            (tuned.run.path, "saved_model", "serving"),
            (tuned.run.path, "keras", "keras"),
            (pretrained.run.path, "saved_model", "embedding"),
        ]:
            console.print(export(source, fmt, written / out))
    assert guard.attempts == []
    planted = [*CODE_SECRETS, MARKER]
    searched, hits = grep_tree([written], planted)
    print(f"planted {planted}; searched {searched} files; hits {hits}")
    assert searched > 30 and hits == []


def test_a_remote_preset_is_the_one_thing_that_reaches_for_the_network(
    tmp_path, monkeypatch, labeled_files
):
    from ssl_domains.config import FinetuneConfig
    from ssl_domains.errors import UserError
    from ssl_domains.pipelines.finetuning import finetune

    guard = NetworkGuard(monkeypatch)
    config = FinetuneConfig()
    config.run.source = "kaggle://keras/bert/keras/bert_tiny_en_uncased"
    config.run.dir = str(tmp_path / "ft")
    config.data.data = str(labeled_files["classification"])
    with pytest.raises(UserError) as error:
        finetune(config, console=Console(quiet=True), progress=False)
    assert guard.attempts and "kaggle" in guard.attempts[0]
    message = str(error.value)
    assert "cannot load a backbone from kaggle://" in message and "needs the network" in message
    assert "\n" not in message
