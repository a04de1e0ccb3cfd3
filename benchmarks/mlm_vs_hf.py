"""Continued MLM at MiniLM size: ssl-domains against Hugging Face transformers, same
model shape, batch and precision, fp32 and bf16, in one run; with model FLOPs
utilisation (MFU) against this machine's matmul peaks.

Both train a BERT of MiniLM-L6-H384's shape (6 layers, width 384, 12 heads, 30,522
wordpieces) on random batches of 32 x 128 tokens, 15% of them masked, with AdamW:
- ssl-domains: the `mlm` recipe's model and loss and the trainer's optimizer
  (`precision.py`'s worker, on each `--backends`), bf16 as Keras's `mixed_bfloat16`;
- transformers: `BertForMaskedLM` in PyTorch with `torch.optim.AdamW`, bf16 as
  `torch.autocast("cpu", torch.bfloat16)` (its documented CPU mixed precision).
Each side runs in its own process and alternates its precisions in rounds (the median
round is reported), so a load that comes and goes slows both precisions alike. The
sides' processes take turns (`--alternations`), and each ratio to transformers is
taken within a turn: this machine's speed drifts over minutes.

FLOPs per step are counted, not profiled: 3 x the forward pass's matmuls (the
backward pass costs twice the forward). keras-hub's masked-LM head projects only the
masked slots onto the vocabulary; `BertForMaskedLM` projects every token, so it does
more work for the same loss, and its MFU is counted on its own FLOPs.

    pip install -e ".[bench]"          # transformers
    python benchmarks/mlm_vs_hf.py     # TensorFlow, ~10 min on 2 cores
    python benchmarks/mlm_vs_hf.py --backends tensorflow jax torch     # ~20 min
    python benchmarks/mlm_vs_hf.py --alternations 1 --steps 4 --rounds 2   # a quick look
    python benchmarks/mlm_vs_hf.py --precisions fp32   # a CPU without fast bf16 matmuls
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from precision import BATCH, MASK_RATE, MINILM, PRECISIONS, SEQ_LEN, run_worker, timing_parser  # noqa: E402  # noqa: E402
from precision import measure as measure_ssl_domains  # noqa: E402

# The matmul MFU is measured against: the encoder's feed-forward shape, batch x tokens
# rows. On the AVX-512 + AMX machine of issue 12 torch reached about 300 GFLOP/s in
# fp32 and 1.1-1.6 TFLOP/s in bf16.
PEAK_SHAPE = (BATCH * SEQ_LEN, MINILM["hidden_dim"], MINILM["intermediate_dim"])


def matmul_peak(precision: str) -> float:
    """FLOP/s of torch's matmul at `PEAK_SHAPE` in `precision`, on this machine."""
    import torch

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[precision]
    rows, inner, columns = PEAK_SHAPE
    a, b = torch.randn(rows, inner, dtype=dtype), torch.randn(inner, columns, dtype=dtype)
    a @ b  # warm-up
    repeats = 10
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return repeats * 2 * rows * inner * columns / (time.perf_counter() - started)


def step_flops(projected_tokens: int) -> float:
    """Training FLOPs of one step: 3 x (encoder matmuls on every token + attention +
    the MLM head's transform and vocabulary projection on `projected_tokens`)."""
    h, i, layers, vocab = (
        MINILM[k] for k in ("hidden_dim", "intermediate_dim", "num_layers", "vocabulary_size")
    )
    tokens = BATCH * SEQ_LEN
    per_token_layer = 2 * (4 * h * h + 2 * h * i) + 2 * 2 * SEQ_LEN * h
    encoder = tokens * layers * per_token_layer
    head = projected_tokens * 2 * (h * h + h * vocab)
    return 3.0 * (encoder + head)


def keras_hub_slots() -> int:
    """Masked slots the `mlm` recipe projects per batch (15% x 1.5 headroom)."""
    return BATCH * math.ceil(SEQ_LEN * MASK_RATE * 1.5)


def hf_worker(steps: int, warmup: int, rounds: int, precisions=PRECISIONS) -> list[dict]:
    """`BertForMaskedLM` steps in both precisions, alternating in `rounds`."""
    import torch
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=MINILM["vocabulary_size"],
        hidden_size=MINILM["hidden_dim"],
        num_hidden_layers=MINILM["num_layers"],
        num_attention_heads=MINILM["num_heads"],
        intermediate_size=MINILM["intermediate_dim"],
        max_position_embeddings=512,
    )
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(1, config.vocab_size, (BATCH, SEQ_LEN), generator=generator)
    labels = torch.full_like(ids, -100)
    masked = torch.rand((BATCH, SEQ_LEN), generator=generator) < MASK_RATE
    labels[masked] = ids[masked]
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}
    models = {}
    for precision in precisions:
        model = BertForMaskedLM(config).train()
        models[precision] = (model, torch.optim.AdamW(model.parameters(), lr=1e-4))

    def train(precision: str, count: int) -> float:
        model, optimizer = models[precision]
        started = time.perf_counter()
        for _ in range(count):
            with torch.autocast("cpu", torch.bfloat16, enabled=precision == "bf16"):
                loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        return (time.perf_counter() - started) / count

    for precision in precisions:
        if warmup:
            train(precision, warmup)
    per_round = max(1, steps // rounds)
    times = {p: [] for p in precisions}
    for _ in range(rounds):
        for precision in precisions:
            times[precision].append(train(precision, per_round))
    params = sum(p.numel() for p in models[precisions[0]][0].parameters())
    return [
        {
            "backend": "transformers",
            "precision": p,
            "s_per_step": statistics.median(t),
            "params": params,
            "peak": matmul_peak(p),
        }
        for p, t in times.items()
    ]


def measure_hf(steps: int, warmup: int, rounds: int, precisions=PRECISIONS) -> list[dict]:
    command = [sys.executable, __file__, "--hf-worker"]
    return run_worker("transformers", command, steps, warmup, rounds, precisions)


def main() -> None:
    parser = timing_parser(__doc__.splitlines()[0])
    parser.set_defaults(steps=6, rounds=3)
    parser.add_argument(
        "--backends", nargs="+", default=["tensorflow"], help="ssl-domains' Keras backends"
    )
    parser.add_argument(
        "--alternations",
        type=int,
        default=3,
        help="times every side's worker runs, in turn; a ratio is taken within one turn",
    )
    parser.add_argument("--hf-worker", action="store_true")
    args = parser.parse_args()
    if args.hf_worker:
        print(json.dumps(hf_worker(args.steps, args.warmup, args.rounds, args.precisions)))
        return
    timing = (args.steps, args.warmup, args.rounds, args.precisions)
    turns = []
    for _ in range(args.alternations):
        rows = []
        for backend in args.backends:
            rows += [dict(r, side="ssl-domains") for r in measure_ssl_domains(backend, *timing)]
        rows += [dict(r, side="transformers") for r in measure_hf(*timing)]
        failed = [r for r in rows if "error" in r]
        for r in failed:
            print(f"{r['backend']} failed: {r['error'].splitlines()[-1]}")
        turns.append([r for r in rows if "error" not in r])
    print_table(turns, args)


def print_table(turns: list[list[dict]], args) -> None:
    """Each row's median step time over the turns, and its median ratio to transformers
    within a turn: the machine's speed drifts (its matmul peak moved by half within
    minutes here), and a ratio of times taken minutes apart would carry that drift."""
    hf = [{r["precision"]: r for r in turn if r["side"] == "transformers"} for turn in turns]
    # Without transformers (its worker failed), times are printed and ratios are not.
    peaks = {
        p: statistics.median([t[p]["peak"] for t in hf if p in t] or [math.nan])
        for p in args.precisions
    }
    print(
        f"MLM, MiniLM-L6-H384 shape, batch {BATCH} x {SEQ_LEN} tokens, {MASK_RATE:.0%} masked; "
        f"{args.alternations} turns of each side, {args.steps} timed steps a turn (median of "
        f"{args.rounds} rounds)\n"
    )
    print("| side | backend | precision | s/step | vs transformers (turns) | GFLOP/step | MFU |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    keys = dict.fromkeys((r["side"], r["backend"], r["precision"]) for r in turns[0])
    for side, backend, precision in keys:
        times, ratios = [], []
        for turn, reference in zip(turns, hf, strict=True):
            for r in turn:
                if (r["side"], r["backend"], r["precision"]) == (side, backend, precision):
                    times.append(r["s_per_step"])
                    if precision in reference:
                        ratios.append(reference[precision]["s_per_step"] / r["s_per_step"])
        seconds = statistics.median(times)
        projected = BATCH * SEQ_LEN if side == "transformers" else keras_hub_slots()
        flops = step_flops(projected)
        each = ", ".join(f"{x:.2f}" for x in ratios)
        ratio = f"{statistics.median(ratios):.2f}x ({each})" if ratios else "-"
        print(
            f"| {side} | {backend} | {precision} | {seconds:.2f} | "
            f"{ratio} | {flops / 1e9:.0f} | "
            f"{flops / seconds / peaks[precision]:.0%} |"
        )
    first = args.precisions[0]
    sizes = [f"{r['side']} {r['params']:,}" for r in turns[0] if r["precision"] == first]
    print(f"\nparameters: {', '.join(sizes)}")
    measured = ", ".join(f"{p} {peak / 1e9:,.0f} GFLOP/s" for p, peak in peaks.items())
    print(f"matmul peaks here (median, torch, {' x '.join(map(str, PEAK_SHAPE))}): {measured}")


if __name__ == "__main__":
    main()
