"""The image chain on biomedical-imaging: pretrain with each image recipe, then compare
its frozen features (linear and kNN probes) and a 5-shot fine-tune against a random-init
encoder of the same shape and the raw pixels.

For each recipe (`--recipes`, default mae and simclr) this runs, as a user would,

    ssl-domains pretrain --domain biomedical-imaging --recipe R --run-dir RUN   # R's defaults
    ssl-domains evaluate RUN --compare random:RUN --compare raw:RUN --shots S --seeds N
    ssl-domains finetune RUN --shots 5 [--random-init]                     # seeds 0..N-1

for S in 5 and 0 (all labels), and prints one markdown table: per source, the
pretraining wall time, probe accuracies (mean ± std over seeds) and the 5-shot
fine-tuned accuracy on the rest of the labeled sample.

    python benchmarks/image_chain.py                        # ~15 min on 2 cores
    python benchmarks/image_chain.py --recipes simclr --set train.steps=50   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from _cli import report, ssl_domains

DOMAIN = "biomedical-imaging"


def cell(score: dict) -> str:
    return f"{score['mean']:.3f} ± {score['std']:.3f}"


def fine_tuned(run: Path, root: Path, seeds: int, random_init: bool) -> str:
    scores = []
    for seed in range(seeds):
        out = root / f"{run.name}-ft{'-random' if random_init else ''}-{seed}"
        flags = ["--random-init"] if random_init else []
        ssl_domains(
            "finetune", str(run), "--shots", "5", "--seed", str(seed), "--run-dir", str(out), *flags
        )
        scores.append(report(out)["accuracy"])
    return f"{statistics.mean(scores):.3f} ± {statistics.pstdev(scores):.3f}"


def chain(recipe: str, root: Path, args) -> list[dict]:
    run = root / f"{recipe}-run"
    extra = [a for item in args.set for a in ("--set", item)]
    print(f"== {recipe}: pretrain", file=sys.stderr, flush=True)
    seconds = ssl_domains(
        "pretrain", "--domain", DOMAIN, "--recipe", recipe, "--run-dir", str(run), *extra
    )
    probes = {}
    for shots in (5, 0):
        scores = root / f"{recipe}-{shots}.json"
        ssl_domains(
            "evaluate",
            str(run),
            "--compare",
            f"random:{run}",
            "--compare",
            f"raw:{run}",
            "--shots",
            str(shots),
            "--seeds",
            str(args.seeds),
            "--json",
            str(scores),
        )
        for row in json.loads(scores.read_text()):
            probes.setdefault(row["source"], {})[shots] = row
    print(f"== {recipe}: fine-tune", file=sys.stderr, flush=True)
    tuned = {
        str(run): fine_tuned(run, root, args.seeds, random_init=False),
        f"random:{run}": fine_tuned(run, root, args.seeds, random_init=True),
        f"raw:{run}": "",
    }
    names = {str(run): recipe, f"random:{run}": "random init", f"raw:{run}": "raw pixels"}
    return [
        {
            "source": names[source],
            "recipe": recipe,
            "pretrain_seconds": seconds if source == str(run) else None,
            "probes": rows,
            "fine_tuned_5_shot": tuned[source],
        }
        for source, rows in probes.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=["mae", "simclr"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--keep", type=Path, help="keep the runs in this folder")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        rows = [row for recipe in args.recipes for row in chain(recipe, root, args)]
    print(f"\n{DOMAIN}: 4 tissue kinds, 160 labeled tiles; {args.seeds} seeds.\n")
    print(
        "| encoder | pretrain | linear, 5-shot | kNN, 5-shot | linear, all | kNN, all "
        "| fine-tuned, 5-shot |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        five, every = row["probes"][5], row["probes"][0]
        seconds = f"{row['pretrain_seconds']:.0f} s" if row["pretrain_seconds"] else ""
        name = (
            row["source"]
            if row["source"] == row["recipe"]
            else f"{row['source']} ({row['recipe']} shape)"
        )
        print(
            f"| {name} | {seconds} "
            f"| {cell(five['linear_accuracy'])} | {cell(five['knn_accuracy'])} "
            f"| {cell(every['linear_accuracy'])} | {cell(every['knn_accuracy'])} "
            f"| {row['fine_tuned_5_shot']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
