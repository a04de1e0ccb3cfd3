"""Image recipes on real images no one on the team made: scikit-learn's handwritten
digits (1797 scans of 8x8 pixels from the UCI collection, ten classes), which the
machine ships with scikit-learn.

The digits are written out as PNG files and a `path,label` manifest; then, as a user
would with a folder of their own images,

    ssl-domains pretrain --domain biomedical-imaging --recipe R --corpus DIGITS/images
    ssl-domains evaluate RUN --compare random:RUN --compare raw:RUN \\
        --data DIGITS/labels.csv --shots S

for each recipe R and S in 5 and 0 (all labels). The biomedical-imaging domain is only
the vehicle here (reading, hygiene, 64-pixel squares, its views); the labels are never
seen in pretraining. Prints one markdown table.

    python benchmarks/real_images.py                   # ~8 min on 2 cores
    python benchmarks/real_images.py --recipes simclr --set train.steps=50
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

from _cli import ssl_domains


def write_digits(root: Path) -> Path:
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    (root / "images").mkdir(parents=True)
    with (root / "labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label"])
        for i, (image, label) in enumerate(zip(digits.images, digits.target, strict=True)):
            pixels = (255 - image * 255 / 16).astype(np.uint8)  # dark ink on white, as scanned
            Image.fromarray(pixels).save(root / "images" / f"{i:04d}.png")
            writer.writerow([f"images/{i:04d}.png", str(label)])
    return root / "labels.csv"


def cell(score: dict) -> str:
    return f"{score['mean']:.3f} ± {score['std']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=["simclr", "mae"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--keep", type=Path, help="keep the runs in this folder")
    args = parser.parse_args()
    extra = [a for item in args.set for a in ("--set", item)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        labels = write_digits(root / "digits")
        for recipe in args.recipes:
            run = root / f"{recipe}-run"
            print(f"== {recipe}: pretrain on the digits", file=sys.stderr, flush=True)
            seconds = ssl_domains(
                "pretrain", "--domain", "biomedical-imaging", "--recipe", recipe,
                "--corpus", str(labels.parent / "images"), "--run-dir", str(run), *extra,
            )  # fmt: skip
            kept = json.loads((run / "data" / "corpus.json").read_text())
            scores = {}
            for shots in (5, 0):
                out = root / f"{recipe}-{shots}.json"
                ssl_domains(
                    "evaluate", str(run), "--compare", f"random:{run}", "--compare", f"raw:{run}",
                    "--data", str(labels), "--shots", str(shots), "--seeds", str(args.seeds),
                    "--json", str(out),
                )  # fmt: skip
                for row in json.loads(out.read_text()):
                    kind = row["source"].split(":")[0] if ":" in row["source"] else recipe
                    scores.setdefault(kind, {})[shots] = row
            rows.append((recipe, seconds, kept, scores))
    print("\nsklearn digits: 1797 real 8x8 scans, 10 classes; probes over", args.seeds, "seeds.\n")
    print("| recipe | pretrain | images kept | encoder | linear, 5-shot | kNN, 5-shot "
          "| linear, all | kNN, all |")  # fmt: skip
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    names = {"random": "random init", "raw": "raw pixels"}
    for recipe, seconds, kept, scores in rows:
        for kind, found in scores.items():
            five, every, label = found[5], found[0], names.get(kind, kind)
            images = kept["train_records"] + kept["validation_records"]
            print(
                f"| {recipe} | {seconds:.0f} s | {images} "
                f"| {label} | {cell(five['linear_accuracy'])} | {cell(five['knn_accuracy'])} "
                f"| {cell(every['linear_accuracy'])} | {cell(every['knn_accuracy'])} |"
            )


if __name__ == "__main__":
    main()
