"""Write `labels.csv`: which part of the standard library a function comes from.

A small, balanced, labeled code task for `ssl-domains finetune`: given the source
of one function or method, tell its area of the Python standard library:

    concurrency   asyncio, concurrent.futures, multiprocessing, threading, queue, ...
    network       http, urllib, email, xmlrpc, smtplib, socket, ssl, wsgiref, ...
    formats       json, csv, configparser, xml, html, pickle, plistlib, tomllib, ...
    files         os, pathlib, shutil, zipfile, tarfile, tempfile, glob, gzip, ...

The answer is in the identifiers, docstrings and library calls, not in the syntax,
so it measures what pretraining on code taught the encoder. The snippets are cut
deterministically from the running interpreter's stdlib (`.venv` Python 3.11.7 made
the shipped file): every function or method of 4 to 25 lines and at most 1,200
characters, dedented, ranked by a hash of its location, the first 100 of each
area. Run from anywhere: `python plugins/code/data/make_labels.py`.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import sysconfig
import textwrap
from pathlib import Path

PER_LABEL = 100
MIN_LINES, MAX_LINES, MAX_CHARS = 4, 25, 1200
AREAS = {
    "concurrency": [
        "asyncio/",
        "concurrent/",
        "multiprocessing/",
        "threading.py",
        "queue.py",
        "sched.py",
        "selectors.py",
        "subprocess.py",
    ],
    "network": [
        "http/",
        "urllib/",
        "email/",
        "xmlrpc/",
        "wsgiref/",
        "smtplib.py",
        "ftplib.py",
        "imaplib.py",
        "poplib.py",
        "nntplib.py",
        "socket.py",
        "socketserver.py",
        "ssl.py",
    ],
    "formats": [
        "json/",
        "xml/",
        "html/",
        "tomllib/",
        "csv.py",
        "configparser.py",
        "pickle.py",
        "pickletools.py",
        "plistlib.py",
        "netrc.py",
        "shlex.py",
        "base64.py",
        "quopri.py",
    ],
    "files": [
        "os.py",
        "pathlib.py",
        "shutil.py",
        "zipfile.py",
        "tarfile.py",
        "tempfile.py",
        "glob.py",
        "fnmatch.py",
        "filecmp.py",
        "fileinput.py",
        "genericpath.py",
        "posixpath.py",
        "gzip.py",
        "bz2.py",
        "lzma.py",
        "zipapp.py",
    ],
}


def functions(path: Path, relative: str) -> list[tuple[str, str]]:
    """(rank, dedented source) of each function or method of the wanted size."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        snippet = textwrap.dedent("\n".join(lines[start : node.end_lineno])).strip()
        if MIN_LINES <= snippet.count("\n") + 1 <= MAX_LINES and len(snippet) <= MAX_CHARS:
            key = f"{relative}:{node.lineno}:{node.name}"
            found.append((hashlib.sha256(key.encode()).hexdigest(), snippet))
    return found


def main() -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    rows, seen = [], set()
    for label, prefixes in AREAS.items():
        candidates = []
        for prefix in prefixes:
            paths = (
                sorted((root / prefix).rglob("*.py")) if prefix.endswith("/") else [root / prefix]
            )
            for path in paths:
                relative = path.relative_to(root).as_posix()
                if "test" not in path.relative_to(root).parts[:-1]:
                    candidates += functions(path, relative)
        chosen = []
        for rank, snippet in sorted(candidates):
            if snippet not in seen and len(chosen) < PER_LABEL:
                seen.add(snippet)
                chosen.append((rank, snippet, label))
        if len(chosen) < PER_LABEL:
            raise SystemExit(f"only {len(chosen)} snippets for {label}")
        rows += chosen
    rows.sort()  # interleave the labels, deterministically
    out = Path(__file__).parent / "labels.csv"
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows((snippet, label) for _, snippet, label in rows)
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
