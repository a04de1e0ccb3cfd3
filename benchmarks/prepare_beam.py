"""Corpus preparation on Beam's DirectRunner: MB/s and peak memory per worker count.

Each measurement runs in a fresh process, so its memory is its own: `rss_peak_mb` is
the largest sum of resident memory over that process and its children (Beam's SDK
workers, or the in-process pass's worker pool), sampled every 0.1 s; `rss_launcher_mb`
the launching process's own peak. (`RUSAGE_CHILDREN` would not do: a forked child
reports its parent's resident memory at the fork as its own peak.) The in-process
pass (`prepare_corpus`) on the same files is the baseline, with `--in-process`.

    python benchmarks/prepare_beam.py                         # stdlib sources, `code`
    python benchmarks/prepare_beam.py /data/*.txt --domain finance --workers 1 2 4
    python benchmarks/prepare_beam.py --in-process --no-near-duplicates

`benchmark_beam(files, domain, workers)` returns the rows, for other scripts.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

STDLIB = "/usr/lib/python3.11/*.py"


class TreeMemory:
    """Samples the resident memory of this process and all its descendants."""

    def __init__(self, every: float = 0.1):
        self.peak, self.every = 0, every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(self.every):
            self.peak = max(self.peak, sum(map(_rss_bytes, _tree(os.getpid()))))


def _tree(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (ValueError, OSError):
            continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _prepare_once(args: argparse.Namespace) -> dict:
    """One preparation in this process; what it took."""
    from ssl_domains.data.corpus_files import find_files
    from ssl_domains.data.deduplicator import Deduplicator
    from ssl_domains.data.records import ReadOptions
    from ssl_domains.plugin.registry import registry

    files = find_files(args.files)
    domain_class = registry().domain(args.domain)
    (workers,) = args.workers
    with tempfile.TemporaryDirectory() as tmp, TreeMemory() as memory:
        out = Path(tmp) / "prepared"
        started = time.perf_counter()
        if args.engine == "in-process":
            from ssl_domains.data.prepare_corpus import prepare_corpus

            dedup = Deduplicator(near=args.near_duplicates) if args.deduplicate else None
            report = prepare_corpus(
                domain_class(), files, out, ReadOptions(), 0.05, dedup=dedup, workers=workers
            )
        else:
            from ssl_domains.data.beam_pipeline import prepare_with_beam

            direct = [f"--direct_num_workers={workers}"]
            if workers > 1:
                direct.append("--direct_running_mode=multi_processing")
            report = prepare_with_beam(
                args.domain,
                domain_class.Config(),
                files,
                out,
                ReadOptions(),
                0.05,
                args.deduplicate,
                args.near_duplicates,
                pipeline_args=direct,
            )
        seconds = time.perf_counter() - started
    return {
        "engine": args.engine,
        "workers": workers,
        "files": report.files,
        "mb": round(report.bytes / 1e6, 2),
        "kept": report.kept,
        "dropped": report.dropped,
        "seconds": round(seconds, 2),
        "mb_per_s": round(report.bytes / 1e6 / seconds, 3),
        "rss_peak_mb": memory.peak // 2**20,
        "rss_launcher_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,  # KiB
    }


def _measure(files: list[str], engine: str, workers: int, flags: list[str]) -> dict:
    command = [sys.executable, __file__, "--one", engine, "--workers", str(workers), *flags]
    done = subprocess.run([*command, "--", *files], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def benchmark_beam(
    files: list[str],
    domain: str = "code",
    workers: tuple[int, ...] = (1, 2),
    in_process: bool = False,
    deduplicate: bool = True,
    near_duplicates: bool = True,
) -> list[dict]:
    """One row per worker count on Beam's DirectRunner, each after the in-process
    pass on as many workers if `in_process`."""
    flags = ["--domain", domain]
    flags += [] if deduplicate else ["--no-deduplicate"]
    flags += [] if near_duplicates else ["--no-near-duplicates"]
    engines = ("in-process", "beam-direct") if in_process else ("beam-direct",)
    return [_measure(files, e, n, flags) for n in workers for e in engines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help=f"corpus files (default {STDLIB})")
    parser.add_argument("--domain", default="code")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--in-process", action="store_true", help="also time prepare_corpus")
    parser.add_argument("--no-deduplicate", dest="deduplicate", action="store_false")
    parser.add_argument("--no-near-duplicates", dest="near_duplicates", action="store_false")
    parser.add_argument("--one", dest="engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.files = args.files or sorted(glob.glob(STDLIB))
    if args.engine:
        print(json.dumps(_prepare_once(args)))
        return
    rows = benchmark_beam(
        args.files,
        args.domain,
        tuple(args.workers),
        args.in_process,
        args.deduplicate,
        args.near_duplicates,
    )
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
