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
round is reported), so a load that comes and goes slows both precisions alike.

FLOPs per step are counted, not profiled: 3 x the forward pass's matmuls (the
backward pass costs twice the forward). keras-hub's masked-LM head projects only the
masked slots onto the vocabulary; `BertForMaskedLM` projects every token, so it does
more work for the same loss, and its MFU is counted on its own FLOPs.

    pip install -e ".[bench]"          # transformers
    python benchmarks/mlm_vs_hf.py     # ~6 min on 2 cores
    python benchmarks/mlm_vs_hf.py --steps 4 --rounds 2 --backends tensorflow torch
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

# Measured on this machine (issue 12): fp32 matmuls peak near 300 GFLOP/s (torch and
# TensorFlow), bf16 through AMX at 1.1-1.6 TFLOP/s; MFU is against 300 and 1,100.
PEAK_FLOPS = {"fp32": 300e9, "bf16": 1.1e12}


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


def hf_worker(steps: int, warmup: int, rounds: int) -> list[dict]:
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
    for precision in PRECISIONS:
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

    for precision in PRECISIONS:
        if warmup:
            train(precision, warmup)
    per_round = max(1, steps // rounds)
    times = {p: [] for p in PRECISIONS}
    for _ in range(rounds):
        for precision in PRECISIONS:
            times[precision].append(train(precision, per_round))
    params = sum(p.numel() for p in models["fp32"][0].parameters())
    return [
        {
            "backend": "transformers",
            "precision": p,
            "s_per_step": statistics.median(t),
            "params": params,
        }
        for p, t in times.items()
    ]


def measure_hf(steps: int, warmup: int, rounds: int) -> list[dict]:
    command = [sys.executable, __file__, "--hf-worker"]
    return run_worker("transformers", command, steps, warmup, rounds)


def main() -> None:
    parser = timing_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--backends", nargs="+", default=["tensorflow"], help="ssl-domains' Keras backends"
    )
    parser.add_argument("--hf-worker", action="store_true")
    args = parser.parse_args()
    if args.hf_worker:
        print(json.dumps(hf_worker(args.steps, args.warmup, args.rounds)))
        return
    rows = []
    for backend in args.backends:
        rows += [
            dict(r, side="ssl-domains")
            for r in measure_ssl_domains(backend, args.steps, args.warmup, args.rounds)
        ]
    rows += [dict(r, side="transformers") for r in measure_hf(args.steps, args.warmup, args.rounds)]
    failed = [r for r in rows if "error" in r]
    for r in failed:
        print(f"{r['backend']} failed: {r['error'].splitlines()[-1]}")
    rows = [r for r in rows if "error" not in r]
    hf = {r["precision"]: r["s_per_step"] for r in rows if r["side"] == "transformers"}
    print(
        f"MLM, MiniLM-L6-H384 shape, batch {BATCH} x {SEQ_LEN} tokens, {MASK_RATE:.0%} masked, "
        f"{args.steps} timed steps, median of {args.rounds} rounds\n"
    )
    print("| side | backend | precision | s/step | vs transformers | GFLOP/step | MFU |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        projected = BATCH * SEQ_LEN if r["side"] == "transformers" else keras_hub_slots()
        flops = step_flops(projected)
        mfu = flops / r["s_per_step"] / PEAK_FLOPS[r["precision"]]
        ratio = hf.get(r["precision"], float("nan")) / r["s_per_step"]
        print(
            f"| {r['side']} | {r['backend']} | {r['precision']} | {r['s_per_step']:.2f} | "
            f"{ratio:.2f}x | {flops / 1e9:.0f} | {mfu:.0%} |"
        )
    sizes = [f"{r['side']} {r['params']:,}" for r in rows if r["precision"] == "fp32"]
    print(f"\nparameters: {', '.join(sizes)}")
    print("peaks: fp32 300 GFLOP/s, bf16 1.1 TFLOP/s (matmuls, measured in issue 12)")


if __name__ == "__main__":
    main()
