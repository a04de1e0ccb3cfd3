"""The embedded default chain, per domain: pretrain on the sample corpus, then probe the
frozen encoder against a random-init copy of it on the domain's labeled sample.

For each first-party domain (or those named with `--domains`) this runs, as a user would,

    ssl-domains pretrain --domain D --run-dir RUN              # the embedded corpus, D's defaults
    ssl-domains evaluate RUN --compare random:RUN --shots 8 --seeds 5 --json SCORES

(`evaluate` without `--data` probes the domain's default labeled sample, whose labels need
context: `benchmarks/label_difficulty.py`), and prints one markdown table: the domain, its
labeled set, the pretraining wall time, and linear-probe and kNN accuracy (mean ± std over
the seeds) of the pretrained encoder and of the same architecture freshly initialised.

    python benchmarks/embedded_chain.py                    # all five domains: ~20 min on 2 cores
    python benchmarks/embedded_chain.py --domains finance --set train.steps=20   # a smoke run
    python benchmarks/embedded_chain.py --pretrain-args "--backend jax --seed 1" --json out.json
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path

from _cli import ssl_domains

DOMAINS = ("finance", "biomedical", "legal", "code", "speech")
PROBES = ("linear_accuracy", "knn_accuracy")


def cell(score: dict) -> str:
    return f"{score['mean']:.3f} ± {score['std']:.3f}"


def chain(domain: str, root: Path, args: argparse.Namespace) -> dict:
    """Pretrain and probe one domain; its row of the table."""
    from ssl_domains.plugin.registry import registry

    run, scores = root / f"{domain}-run", root / f"{domain}-probes.json"
    extra = [a for item in args.set for a in ("--set", item)] + shlex.split(args.pretrain_args)
    print(f"== {domain}: pretrain {' '.join(extra)}".rstrip(), file=sys.stderr, flush=True)
    seconds = ssl_domains(
        "pretrain", "--domain", domain, "--run-dir", str(run), *extra, backend=args.backend
    )
    print(f"== {domain}: pretrained in {seconds:.0f} s; evaluate", file=sys.stderr, flush=True)
    ssl_domains(
        "evaluate",
        str(run),
        "--compare",
        f"random:{run}",
        "--shots",
        str(args.shots),
        "--seeds",
        str(args.seeds),
        "--json",
        str(scores),
        "--backend",
        args.backend,
        backend=args.backend,
    )
    found = {row["source"]: row for row in json.loads(scores.read_text())}
    pretrained, random_init = found[str(run)], found[f"random:{run}"]
    return {
        "domain": domain,
        "labels": Path(registry().domain(domain)().sample_labels()).name,
        "pretrain_seconds": seconds,
        "pretrained": {k: pretrained[k] for k in PROBES},
        "random": {k: random_init[k] for k in PROBES},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", nargs="+", default=list(DOMAINS))
    parser.add_argument("--shots", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--backend", default="tensorflow")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="passed to pretrain as --set KEY=VALUE; repeatable (e.g. train.steps=20)",
    )
    parser.add_argument(
        "--pretrain-args", default="", help='more pretrain flags, one string: "--seed 1"'
    )
    parser.add_argument("--keep", type=Path, help="keep the runs in this folder")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        rows = [chain(domain, root, args) for domain in args.domains]
    setting = f"{args.shots} shots per class, {args.seeds} seeds"
    print(f"\nFrozen-encoder probes, {setting}; pretrained on the embedded corpus vs random init.")
    if args.set or args.pretrain_args:
        print(f"Pretraining overrides: {' '.join(args.set)} {args.pretrain_args}".rstrip())
    print()
    print(
        "| domain | labeled set | pretrain | linear: pretrained | linear: random "
        "| kNN: pretrained | kNN: random |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        p, r = row["pretrained"], row["random"]
        print(
            f"| {row['domain']} | {row['labels']} | {row['pretrain_seconds']:.0f} s "
            f"| {cell(p['linear_accuracy'])} | {cell(r['linear_accuracy'])} "
            f"| {cell(p['knn_accuracy'])} | {cell(r['knn_accuracy'])} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
