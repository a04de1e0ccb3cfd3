"""Peak memory of a training process against the size of its prepared corpus: it
should stay flat (issue 12: within 10% from 20 MB to 500 MB of prepared corpus).

The text is real, and no one on the team wrote it: the licences of
`/usr/share/common-licenses` and the Debian `copyright` files (as
`wrapped_text.py` gathers them, about 9 MB), copied as many times as a size needs
into folders of their own. Copies are duplicates, so deduplication is turned off
for these corpora: what is measured is training on N MB, not the dedup step. For
each size, as a user would:

    ssl-domains corpus prepare SRC --domain legal --out PREPARED \\
        --set data.deduplicate=false --set data.near_duplicates=false
    ssl-domains pretrain --domain legal --corpus PREPARED --steps S --set model.size=nano

The training command runs in a fresh process whose peak resident memory is read with
`getrusage(RUSAGE_CHILDREN)` by a wrapper that runs nothing else. Prints one table:
input MB, prepared MB on disk, training records, preparation wall time, and the
training process's peak RSS, with its ratio to the smallest corpus's.

    python benchmarks/memory.py                     # 20 and 500 MB, ~10 min on 2 cores
    python benchmarks/memory.py --sizes 20 100 --steps 20
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wrapped_text import build_corpus

# Runs `argv` and prints its peak RSS in KiB (Linux `ru_maxrss`) on the last line.
PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stderr.write(code.stderr[-3000:] if code.returncode else '')\n"
    "print(code.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)
NO_DEDUP = ["--set", "data.deduplicate=false", "--set", "data.near_duplicates=false"]


def replicate(real: Path, target: Path, megabytes: float) -> float:
    """Copies of the files in `real` under `target/copy-K/` until `megabytes`; MB written."""
    files = sorted(real.iterdir())
    written, copy = 0, 0
    while written < megabytes * 1e6:
        folder = target / f"copy-{copy:03d}"
        folder.mkdir(parents=True)
        for path in files:
            if written >= megabytes * 1e6:
                break
            shutil.copy(path, folder / path.name)
            written += path.stat().st_size
        copy += 1
    return written / 1e6


def size_on_disk(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def ssl_domains(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ssl_domains.cli.main", *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"failed: {' '.join(args)}\n{done.stderr[-3000:]}")
    return done


def peak_rss_mib(*args: str) -> float:
    """Peak RSS of `ssl-domains ARGS` run alone in a fresh process, in MiB."""
    command = [sys.executable, "-c", PEAK, sys.executable, "-m", "ssl_domains.cli.main", *args]
    done = subprocess.run(command, capture_output=True, text=True)
    code, kib = done.stdout.split()[-2:]
    if int(code):
        raise SystemExit(f"failed: {' '.join(args)}\n{done.stderr}")
    return int(kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[20, 500], help="input MB")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="keep the corpora and runs in this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="ssl-memory-"))
    real = root / "real"
    if not real.exists():
        build_corpus(real, limit=16 * 2**20)
    rows = []
    for size in args.sizes:
        print(f"== {size:g} MB", file=sys.stderr, flush=True)
        source, prepared, run = (root / f"{kind}-{size:g}" for kind in ("src", "prepared", "run"))
        megabytes = replicate(real, source, size)
        started = time.perf_counter()
        ssl_domains(
            "corpus", "prepare", str(source), "--domain", "legal", "--out", str(prepared), *NO_DEDUP
        )
        seconds = time.perf_counter() - started
        shutil.rmtree(source)
        report = json.loads((prepared / "corpus.json").read_text())
        rss = peak_rss_mib(
            "pretrain", "--domain", "legal", "--corpus", str(prepared), "--steps", str(args.steps),
            "--set", "model.size=nano", "--run-dir", str(run),
        )  # fmt: skip
        records = report["train_records"]
        rows.append((megabytes, size_on_disk(prepared), records, seconds, rss))
    print(f"training: legal MLM, nano model, {args.steps} steps, defaults otherwise\n")
    print("| input MB | prepared MB | train records | prepare s | training peak RSS MiB | ratio |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for megabytes, on_disk, records, seconds, rss in rows:
        print(
            f"| {megabytes:.0f} | {on_disk:.0f} | {records} | {seconds:.0f} | {rss:.0f} | "
            f"{rss / rows[0][4]:.2f}x |"
        )
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
