"""Throughput of preparing a corpus (`corpus prepare`): MB/s and peak memory, by workers.

Two real corpora already on the machine, neither written by us:

- `legal`: the licence texts of `/usr/share/common-licenses` and Debian `copyright`
  files (as `benchmarks/wrapped_text.py` gathers them), read by the legal domain;
  licence texts repeat across packages, so half its documents are duplicates;
- `code`: the code domain's default corpus, a fixed selection of this Python's stdlib
  sources (`plugins/code/stdlib.py`), read by the code domain;
- `changelogs`: one `.jsonl` file of 64 MB, a record per paragraph of the gzipped
  changelogs and notes in `/usr/share/doc` (written by Debian's and upstream
  maintainers), read by the finance domain: one large file, which several workers read in ranges
  (`ssl_domains/data/file_ranges.py`).

Each (corpus, workers) pair runs in a fresh process that loads TensorFlow first (as
`pretrain` has), then times `write_prepared` alone: MB/s of input, the time until
the first item is merged (worker processes start first) and the rate after it, CPU
seconds of that process and of its workers (on a busy machine the CPU time says more
than the wall time), and peak resident memory of the process (`getrusage`) and of
its largest worker (VmHWM, sampled; 0: no workers).
`--profile` prints where the merging process spends its CPU time (with one worker,
it prepares the items too).

    python benchmarks/prepare.py                      # each corpus, 1 and 2 workers
    python benchmarks/prepare.py --profile legal      # the top of the profile
    python benchmarks/prepare.py --profile changelogs --workers 2
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CORPORA = {"legal": "legal", "code": "code", "changelogs": "finance"}  # corpus: its domain
ONE_FILE_BYTES = 64 * 2**20


def corpus_items(name: str, scratch: Path) -> list[Path]:
    from ssl_domains.data.corpus_files import find_files
    from ssl_domains.plugin.registry import registry

    if name == "legal":
        from wrapped_text import build_corpus

        build_corpus(scratch / "legal", limit=16 * 2**20)
        return find_files([scratch / "legal"])
    if name == "changelogs":
        return [changelog_file(scratch / "changelogs.jsonl")]
    return find_files(registry().domain(name)().sample_corpus())


def changelog_file(path: Path, limit: int = ONE_FILE_BYTES) -> Path:
    """One JSONL file of up to `limit` bytes: a record per paragraph (lines between
    blank lines) of the gzipped changelogs and notes in `/usr/share/doc`."""
    import glob
    import gzip

    size = 0
    with path.open("w") as out:
        for log in sorted(glob.glob("/usr/share/doc/**/*.gz", recursive=True)):
            paragraph: list[str] = []
            for line in [*gzip.open(log, "rt", errors="replace"), ""]:
                if line.strip():
                    paragraph.append(line)
                    continue
                if paragraph:
                    size += out.write(json.dumps({"text": "".join(paragraph).strip()}) + "\n")
                    paragraph = []
                if size >= limit:
                    return path
    return path


class WorkerPeak:
    """The largest peak resident memory (VmHWM) of this process's child processes,
    sampled while they run: 4 samples a second cost 1% of a core, CPU time the
    workers would use. `RUSAGE_CHILDREN` would count the copy of this process a
    child is for an instant before it runs Python anew (spawn forks, then execs)."""

    def __init__(self):
        self.mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.25):  # VmHWM is a peak: slow sampling misses none
            for child in me.children(recursive=True):
                try:
                    status = Path(f"/proc/{child.pid}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:") and "python" in " ".join(child.cmdline()):
                        self.mib = max(self.mib, int(line.split()[1]) / 1024)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def cpu_seconds() -> tuple[float, float]:
    """User and system CPU seconds of this process, and of its finished children."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def prepare_once(name: str, workers: int, profile: bool = False) -> dict:
    """Prepare corpus `name` on `workers` processes in a scratch folder; the numbers."""
    import tensorflow  # noqa: F401  (loaded before timing, as in `pretrain`)

    from ssl_domains.config import resolve_config
    from ssl_domains.data.corpus_files import item_size
    from ssl_domains.data.prepared_corpus import Engine, corpus_settings, write_prepared
    from ssl_domains.plugin.registry import registry

    with tempfile.TemporaryDirectory() as scratch:
        items = corpus_items(name, Path(scratch))
        config = resolve_config(registry(), flags={"run.domain": CORPORA[name]})
        domain = registry().domain(CORPORA[name])(config.domain)
        settings = corpus_settings(domain, config)
        size = sum(map(item_size, items))
        # CPU time, not wall time: with workers, the merging process waits for a core.
        profiler = cProfile.Profile(time.process_time) if profile else None
        merged: list[tuple[float, int]] = []  # (time, bytes) as each item is merged
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        with WorkerPeak() as worker_peak:
            prepared = write_prepared(
                Path(scratch) / "out",
                domain,
                items,
                settings,
                Engine(workers),
                lambda _, nbytes: merged.append((time.perf_counter(), nbytes)),
            )
        if profiler:
            profiler.disable()
            for order in ("tottime", "cumulative"):  # the hot spots, then the stages
                pstats.Stats(profiler).sort_stats(order).print_stats(25)
        seconds = time.perf_counter() - started
        cpu = [after - before for after, before in zip(cpu_seconds(), cpu_before, strict=True)]
    # Workers load TensorFlow before their first item: what is left is the steady rate.
    first, first_bytes = merged[0]
    steady = (size - first_bytes) / 1e6 / max(started + seconds - first, 1e-9)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = prepared.report
    return {
        "corpus": name,
        "workers": workers,
        "files": len(items),
        "MB": round(size / 1e6, 2),
        "seconds": round(seconds, 2),
        "MB/s": round(size / 1e6 / seconds, 2),
        "first item after s": round(first - started, 2),
        "MB/s after it": round(steady, 2),
        "CPU s (main)": round(cpu[0], 1),
        "CPU s (workers)": round(cpu[1], 1),
        "peak RSS MiB (main)": round(own),
        "peak RSS MiB (a worker)": round(worker_peak.mib),
        "kept": report.kept,
        "dropped": report.dropped,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", nargs="*", default=list(CORPORA))
    parser.add_argument("--workers", nargs="*", type=int, default=[1, 2])
    parser.add_argument(
        "--profile",
        metavar="CORPUS",
        help="profile the merging process on CORPUS with the first of --workers (1: it prepares)",
    )
    parser.add_argument("--one", nargs=2, metavar=("CORPUS", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        print(json.dumps(prepare_once(args.profile, args.workers[0], profile=True)))
        return
    if args.one:
        print(json.dumps(prepare_once(args.one[0], int(args.one[1]))))
        return
    rows = []
    for name in args.corpora:
        for workers in args.workers:
            done = subprocess.run(
                [sys.executable, __file__, "--one", name, str(workers)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    columns = ["corpus", "workers", "MB", "seconds", "MB/s", "first item after s", "MB/s after it"]
    columns += ["CPU s (main)", "CPU s (workers)", "peak RSS MiB (main)"]
    columns += ["peak RSS MiB (a worker)", "kept"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")


if __name__ == "__main__":
    main()
