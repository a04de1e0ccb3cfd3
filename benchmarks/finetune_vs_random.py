"""Does domain pretraining pay off? Fine-tune from a pretrained run and from a randomly
initialised model of the same architecture and tokenizer, on the same labels, over
several seeds; print both.

    python benchmarks/finetune_vs_random.py                      # pretrains finance first
    python benchmarks/finetune_vs_random.py --run runs/finance-mlm-... --seeds 3
    python benchmarks/finetune_vs_random.py --domain speech      # keyword accuracy
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from _cli import report, ssl_domains


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default="finance")
    parser.add_argument("--run", type=Path, help="a pretraining run (default: pretrain one)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", default="20")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run
        if run is None:
            run = Path(tmp) / "pretrained"
            seconds = ssl_domains("pretrain", "--domain", args.domain, "--run-dir", str(run))
            print(f"pretrained {args.domain} (embedded default) in {seconds:.0f} s")
        scores: dict[str, list[dict]] = {"domain-pretrained": [], "random init": []}
        for seed in range(args.seeds):
            for name, extra in (("domain-pretrained", []), ("random init", ["--random-init"])):
                out = Path(tmp) / f"{name.replace(' ', '-')}-{seed}"
                ssl_domains(
                    "finetune",
                    str(run),
                    "--run-dir",
                    str(out),
                    "--seed",
                    str(seed),
                    "--epochs",
                    args.epochs,
                    *extra,
                )
                scores[name].append(report(out))
        print(f"{'start':<20}{'accuracy':>18}{'macro-F1':>18}   ({args.seeds} seeds)")
        for name, reports in scores.items():
            cells = []
            for key in ("accuracy", "macro_f1"):
                values = [r[key] for r in reports]
                spread = statistics.stdev(values) if len(values) > 1 else 0.0
                cells.append(f"{statistics.mean(values):.3f} ± {spread:.3f}")
            print(f"{name:<20}{cells[0]:>18}{cells[1]:>18}")


if __name__ == "__main__":
    main()
