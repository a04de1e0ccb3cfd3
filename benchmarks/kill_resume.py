"""A kill -9 campaign: kill a pretraining run at random moments, resume it each time, and
compare where it ends with an uninterrupted run of the same config and seed.

    ssl-domains pretrain --domain D ... --run-dir REF              # uninterrupted
    ssl-domains pretrain --domain D ... --run-dir RUN              # killed after t1 s
    ssl-domains pretrain --resume RUN                              # killed after t2 s
    ...                                                            # KILLS times
    ssl-domains pretrain --resume RUN                              # to the end

For each kill it reports the step the run had logged, the checkpoint the next start
resumed from, and the steps lost (trained but not saved, so trained again). At the end:
the final metrics of both runs, and the largest difference between their per-step
training losses (the same batches in the same order give the same losses).

    python benchmarks/kill_resume.py                      # 10 kills, ~10 min on 2 cores
    python benchmarks/kill_resume.py --kills 3 --steps 300   # smoke
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _cli import final_metrics, ssl_domains

from ssl_domains.training import checkpoints


def logged_steps(run: Path) -> list[dict]:
    path = run / "metrics.jsonl"
    if not path.is_file():
        return []
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pass  # a line cut by the kill
    return [m for m in lines if "loss" in m]


def start(args: list[str], backend: str) -> subprocess.Popen:
    env = {**os.environ, "KERAS_BACKEND": backend}
    return subprocess.Popen(
        [sys.executable, "-m", "ssl_domains.cli.main", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default="finance")
    parser.add_argument("--recipe", default="mlm")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--checkpoint-every", type=int, default=10)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument(
        "--window", type=float, nargs=2, default=(12.0, 35.0), metavar=("MIN", "MAX")
    )
    parser.add_argument("--seed", type=int, default=0, help="of the kill moments")
    parser.add_argument("--backend", default="tensorflow")
    parser.add_argument("--keep", type=Path, help="keep the runs in this folder")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    root = args.keep or Path(tempfile.mkdtemp(prefix="kill-resume-"))
    config = ["--domain", args.domain, "--recipe", args.recipe, "--steps", str(args.steps)]
    config += ["--set", "model.size=nano", "--seq-len", "64", "--batch-size", "16"]
    config += ["--set", f"train.checkpoint_every={args.checkpoint_every}"]
    config += ["--set", "train.log_every=1"]

    reference = root / "uninterrupted"
    print("== uninterrupted run", file=sys.stderr, flush=True)
    ssl_domains("pretrain", *config, "--run-dir", str(reference), backend=args.backend)

    run = root / "killed"
    rows, command = [], ["pretrain", *config, "--run-dir", str(run)]
    while len(rows) < args.kills:
        wait = rng.uniform(*args.window)
        before = logged_steps(run)
        process = start(command, args.backend)
        began = time.perf_counter()
        while process.poll() is None and time.perf_counter() - began < wait:
            time.sleep(0.05)
        if process.poll() is not None:
            _, stderr = process.communicate()
            if process.returncode:
                raise SystemExit(f"start {len(rows) + 1} failed:\n{stderr}")
            raise SystemExit(f"the run finished before kill {len(rows) + 1}; raise --steps")
        process.send_signal(signal.SIGKILL)
        process.communicate()
        at_kill = logged_steps(run)
        saved = checkpoints.newest_complete(run / "checkpoints", lambda line: print(line))
        rows.append(
            {
                "after_s": round(wait, 1),
                # None: killed before it trained a step (still loading), nothing lost
                "step_at_kill": at_kill[-1]["step"] if at_kill != before else None,
                "saved": saved.step if saved else 0,  # where the next start resumes
            }
        )
        print(f"kill {len(rows)} after {wait:.1f} s", file=sys.stderr, flush=True)
        if (run / "run.toml").is_file():  # else killed before it wrote anything: start over
            command = ["pretrain", "--resume", str(run)]
    finish = start(command, args.backend)
    _, stderr = finish.communicate()
    if finish.returncode:
        raise SystemExit(stderr)

    print(
        f"\n{args.domain} {args.recipe}, {args.steps} steps, checkpoint every "
        f"{args.checkpoint_every}; {args.backend}\n"
    )
    print("| kill | after | last step it trained | newest complete checkpoint | steps lost |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for k, row in enumerate(rows, 1):
        logged = row["step_at_kill"]
        lost = logged - row["saved"] if logged is not None else 0
        shown = logged if logged is not None else "(no step trained)"
        print(f"| {k} | {row['after_s']} s | {shown} | {row['saved']} | {lost} |")

    final, expected = final_metrics(run), final_metrics(reference)
    steps = [m["step"] for m in logged_steps(run)]
    losses = {m["step"]: m["loss"] for m in logged_steps(run)}
    reference_losses = {m["step"]: m["loss"] for m in logged_steps(reference)}
    worst = max(abs(losses[s] - reference_losses[s]) for s in reference_losses)
    print(
        f"\nlogged steps after the campaign: {len(steps)} lines, "
        f"{'each step once' if steps == sorted(set(steps)) else 'DUPLICATES'}"
    )
    print(f"largest per-step training-loss difference from the uninterrupted run: {worst:.2e}")
    print(f"| final metric | uninterrupted | killed {args.kills} times |")
    print("| --- | ---: | ---: |")
    for key, value in expected.items():
        if isinstance(value, float) and key != "time":
            print(f"| {key} | {value:.6f} | {final.get(key, float('nan')):.6f} |")


if __name__ == "__main__":
    main()
