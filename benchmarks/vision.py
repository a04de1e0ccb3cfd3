"""The image recipes on biomedical-imaging, in one table: pretrain with each, then
compare its frozen features (linear and kNN probes, at 5 shots and with all labels)
against random-init encoders of the same shapes and the raw pixels.

For each recipe (`--recipes`; default all five) this runs, as a user would,

    ssl-domains pretrain --domain biomedical-imaging --recipe R --run-dir RUN   # R's defaults
    ssl-domains evaluate RUN --compare random:RUN --compare raw:RUN --shots S --seeds N

for S in 5 and 0 (all labels), and prints one markdown table: per encoder, the probe
accuracies (mean ± std over seeds), the optimizer steps, the images per second (median
of the logged windows after the first, which includes compilation) and the wall time
of the pretraining command. Each run has its own random-init row: random encoders of
its shape, one drawn per probe seed and seeded by it (`ssl_domains.evaluation.probes`),
so the row is a mean over draws, not one draw's luck (a single draw's scores move by
up to 0.15); raw pixels appear once. `--finetune` adds a 5-shot fine-tuned column
(`ssl-domains finetune RUN --shots 5 [--random-init]`, seeds 0..N-1).

    python benchmarks/vision.py                                   # ~20 min on 2 cores
    python benchmarks/vision.py --recipes byol --set train.steps=50 --seeds 1   # smoke
    python benchmarks/vision.py --backend jax                     # another backend
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import tomllib
from pathlib import Path

from _cli import report, ssl_domains

DOMAIN = "biomedical-imaging"
RECIPES = ["mae", "simclr", "byol", "dino", "barlow-twins"]


def cell(score: dict) -> str:
    return f"{score['mean']:.3f} ± {score['std']:.3f}"


def fine_tuned(run: Path, root: Path, args, random_init: bool) -> str:
    scores = []
    for seed in range(args.seeds):
        out = root / f"{run.name}-ft{'-random' if random_init else ''}-{seed}"
        flags = ["--random-init"] if random_init else []
        ssl_domains(
            "finetune",
            str(run),
            "--shots",
            "5",
            "--seed",
            str(seed),
            "--run-dir",
            str(out),
            *flags,
            backend=args.backend,
        )
        scores.append(report(out)["accuracy"])
    return f"{statistics.mean(scores):.3f} ± {statistics.pstdev(scores):.3f}"


def training_speed(run: Path) -> tuple[int, float | None]:
    """(optimizer steps, median images/s over the logged windows after the first)."""
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rates = [m["images_per_s"] for m in lines if "images_per_s" in m][1:]
    step = max(m["step"] for m in lines)
    return step, statistics.median(rates) if rates else None


def chain(recipe: str, root: Path, args) -> list[dict]:
    run = root / f"{recipe}-run"
    extra = [a for item in args.set for a in ("--set", item)]
    print(f"== {recipe}: pretrain", file=sys.stderr, flush=True)
    seconds = ssl_domains(
        "pretrain",
        "--domain",
        DOMAIN,
        "--recipe",
        recipe,
        "--run-dir",
        str(run),
        *extra,
        backend=args.backend,
    )
    size = tomllib.loads((run / "run.toml").read_text())["model"]["size"]
    steps, speed = training_speed(run)
    probes: dict[str, dict] = {}
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
            backend=args.backend,
        )
        for row in json.loads(scores.read_text()):
            probes.setdefault(row["source"], {})[shots] = row
    names = {
        str(run): recipe,
        f"random:{run}": f"random init ({size}, {recipe} run)",
        f"raw:{run}": "raw pixels",
    }
    tuned = {}
    if args.finetune:
        print(f"== {recipe}: fine-tune", file=sys.stderr, flush=True)
        tuned[str(run)] = fine_tuned(run, root, args, random_init=False)
        tuned[f"random:{run}"] = fine_tuned(run, root, args, random_init=True)
    return [
        {
            "encoder": names[source],
            "steps": steps if source == str(run) else None,
            "images_per_s": speed if source == str(run) else None,
            "pretrain_seconds": seconds if source == str(run) else None,
            "probes": rows,
            "fine_tuned_5_shot": tuned.get(source, ""),
        }
        for source, rows in probes.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=RECIPES)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--backend", default="tensorflow")
    parser.add_argument("--finetune", action="store_true", help="add a 5-shot fine-tuned column")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--keep", type=Path, help="keep the runs in this folder")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        rows, seen = [], set()
        for recipe in args.recipes:
            for row in chain(recipe, root, args):
                if row["encoder"] in seen:
                    continue  # raw pixels once: they are the same for every run
                seen.add(row["encoder"])
                rows.append(row)
    print(f"\n{DOMAIN}: 4 tissue kinds, 160 labeled tiles; {args.seeds} seeds; {args.backend}.\n")
    tuned = " fine-tuned, 5-shot |" if args.finetune else ""
    print(
        "| encoder | linear, 5-shot | kNN, 5-shot | linear, all | kNN, all | steps | images/s "
        f"| pretrain |{tuned}"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if tuned else ""))
    for row in rows:
        five, every = row["probes"][5], row["probes"][0]
        steps = row["steps"] or ""
        speed = f"{row['images_per_s']:.0f}" if row["images_per_s"] else ""
        seconds = f"{row['pretrain_seconds']:.0f} s" if row["pretrain_seconds"] else ""
        last = f" {row['fine_tuned_5_shot']} |" if tuned else ""
        print(
            f"| {row['encoder']} | {cell(five['linear_accuracy'])} | {cell(five['knn_accuracy'])} "
            f"| {cell(every['linear_accuracy'])} | {cell(every['knn_accuracy'])} "
            f"| {steps} | {speed} | {seconds} |{last}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
