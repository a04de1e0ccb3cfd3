"""Step time of MLM at a MiniLM-like size, fp32 against bf16, on each backend.

A BERT of MiniLM-L6-H384's shape (6 layers, width 384, 12 heads, 30,522 wordpieces;
22.9M parameters with the MLM head) trains as the `mlm` recipe trains it (keras-hub's
masked-LM task, the recipe's loss, the trainer's AdamW), on random batches of 32
sequences of 128 tokens with 15% masked: step time does not depend on the weights, so
a fresh model times continued pretraining too. Each backend runs in a fresh process
(a Keras backend is fixed per process), its precisions in turns (see `worker`); the
first fit of each, which compiles, is not timed.

    python benchmarks/precision.py                          # 10 timed steps each
    python benchmarks/precision.py --steps 4 --rounds 2 --backends jax torch
    python benchmarks/precision.py --profile-torch --steps 2 --precisions fp32
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time

MINILM = dict(
    vocabulary_size=30522, num_layers=6, num_heads=12, hidden_dim=384, intermediate_dim=1536
)
BATCH, SEQ_LEN, MASK_RATE = 32, 128, 0.15
PRECISIONS = ("fp32", "bf16")


def batches(vocabulary_size: int, seed: int = 0):
    """Random MLM batches shaped as the `mlm` recipe feeds them."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    slots = math.ceil(SEQ_LEN * MASK_RATE * 1.5)  # the recipe's headroom for token masking
    x = {
        "token_ids": rng.integers(1, vocabulary_size, (BATCH, SEQ_LEN), dtype="int32"),
        "padding_mask": np.ones((BATCH, SEQ_LEN), bool),
        "segment_ids": np.zeros((BATCH, SEQ_LEN), "int32"),
        "mask_positions": np.sort(
            rng.permuted(np.tile(np.arange(SEQ_LEN), (BATCH, 1)), axis=1)[:, :slots], axis=1
        ).astype("int32"),
    }
    y = rng.integers(1, vocabulary_size, (BATCH, slots), dtype="int32")
    weights = (rng.random((BATCH, slots)) < 1 / 1.5).astype("float32")
    return tf.data.Dataset.from_tensors((x, y, weights)).repeat()


def build(precision: str, steps: int):
    """The MiniLM-sized MLM model in `precision`, compiled as the trainer compiles it."""
    import keras_hub
    from ssl_domains.recipes.mlm import MaskedLanguageModeling

    from ssl_domains.config import TrainSection
    from ssl_domains.presets.encoder import Encoder
    from ssl_domains.training.precision import set_precision
    from ssl_domains.training.trainer import Trainer

    set_precision(precision)
    backbone = keras_hub.models.BertBackbone(max_sequence_length=512, **MINILM)
    recipe = MaskedLanguageModeling()
    model = recipe.build_model(Encoder(backbone, sequence_length=SEQ_LEN))
    trainer = Trainer(None, TrainSection(learning_rate=1e-4))  # only its optimizer
    model.compile(optimizer=trainer.optimizer(steps), **recipe.compile_args())
    return model


def step_clock():
    """A callback timing a fit's steps: from the first step's start to the epoch's end,
    whose logs wait for the last step on every backend (JAX dispatches steps ahead).

    Not the whole `fit` call: on TensorFlow one also spends 1 to 8 s after its last
    step, releasing its input iterator; a run's one `fit` pays that once, and a
    benchmark that timed the call would charge it to a few steps."""
    import keras

    class StepClock(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 0:
                self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = time.perf_counter() - self.started

    return StepClock()


def worker(backend: str, steps: int, warmup: int, rounds: int, precisions=PRECISIONS) -> list[dict]:
    """Every precision on one backend, in this process. The timed steps alternate
    between precisions in `rounds` rounds, so a load that comes and goes on the
    machine slows both alike; each precision's time is its median round."""
    import statistics

    from ssl_domains.backend import select_backend

    select_backend(backend)
    data = batches(MINILM["vocabulary_size"])
    per_round = max(1, steps // rounds)
    models = {p: build(p, warmup + rounds * per_round) for p in precisions}
    for model in models.values():
        model.fit(data, steps_per_epoch=warmup, verbose=0)  # compiles
    times = {p: [] for p in precisions}
    clock = step_clock()
    for _ in range(rounds):
        for precision, model in models.items():
            model.fit(data, steps_per_epoch=per_round, verbose=0, callbacks=[clock])
            times[precision].append(clock.seconds / per_round)
    return [
        {
            "backend": backend,
            "precision": precision,
            "params": model.count_params(),
            "s_per_step": statistics.median(times[precision]),
            "tokens_per_s": BATCH * SEQ_LEN / statistics.median(times[precision]),
            "compute": model.compute_dtype,
        }
        for precision, model in models.items()
    ]


def profile_torch(steps: int, warmup: int, precision: str) -> None:
    """Where PyTorch's step time goes: its profiler's operators by their own CPU time
    over `steps` steps, and the matmuls' share (`mm`, `bmm`, `addmm`)."""
    from ssl_domains.backend import select_backend

    select_backend("torch")
    import torch

    data = batches(MINILM["vocabulary_size"])
    model = build(precision, warmup + steps)
    model.fit(data, steps_per_epoch=max(warmup, 1), verbose=0)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        model.fit(data, steps_per_epoch=steps, verbose=0)
    operators = profiler.key_averages()
    print(operators.table(sort_by="self_cpu_time_total", row_limit=15))
    seconds = {o.key: o.self_cpu_time_total / 1e6 / steps for o in operators}
    matmuls = sum(seconds.get(k, 0.0) for k in ("aten::mm", "aten::bmm", "aten::addmm"))
    total = sum(seconds.values())
    print(f"{precision}: {total:.2f} s of operators a step, {matmuls:.2f} s of them matmuls")


def run_worker(
    name: str, command: list[str], steps: int, warmup: int, rounds: int, precisions=PRECISIONS
) -> list[dict]:
    """The rows a worker process (`command` and the timing flags) prints as its last
    line of JSON, or one row with the error of `name`."""
    command = [*command, "--steps", str(steps), "--warmup", str(warmup), "--rounds", str(rounds)]
    command += ["--precisions", *precisions]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        return [{"backend": name, "error": done.stderr.strip()[-500:]}]
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(
    backend: str, steps: int, warmup: int, rounds: int, precisions=PRECISIONS
) -> list[dict]:
    command = [sys.executable, __file__, "--worker", backend]
    return run_worker(backend, command, steps, warmup, rounds, precisions)


def timing_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the timing flags every step-time benchmark here takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per precision")
    parser.add_argument("--rounds", type=int, default=5, help="alternations of the precisions")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps, compiling")
    parser.add_argument(
        "--precisions",
        nargs="+",
        choices=PRECISIONS,
        default=list(PRECISIONS),
        help="fp32 alone where bf16 has no fast matmuls (no AMX or AVX-512 BF16)",
    )
    return parser


def main() -> None:
    parser = timing_parser(__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--worker", metavar="BACKEND")
    parser.add_argument(
        "--profile-torch", action="store_true", help="where PyTorch's step time goes"
    )
    args = parser.parse_args()
    if args.profile_torch:
        profile_torch(args.steps, args.warmup, args.precisions[0])
        return
    if args.worker:
        timing = (args.steps, args.warmup, args.rounds, args.precisions)
        print(json.dumps(worker(args.worker, *timing)))
        return
    print(f"MLM, MiniLM-like, batch {BATCH} x {SEQ_LEN} tokens, {args.steps} timed steps")
    print(f"{'backend':<12}{'precision':<11}{'s/step':>8}{'tokens/s':>10}{'speed-up':>10}")
    results = []
    for backend in args.backends:
        rows = measure(backend, args.steps, args.warmup, args.rounds, args.precisions)
        if "error" in rows[0]:
            print(f"{backend:<12}failed: {rows[0]['error'].splitlines()[-1]}")
            continue
        results += rows
        fp32 = [r["s_per_step"] for r in rows if r["precision"] == "fp32"]
        for r in rows:
            speed_up = f"{fp32[0] / r['s_per_step']:>9.2f}x" if fp32 else f"{'-':>10}"
            print(
                f"{backend:<12}{r['precision']:<11}{r['s_per_step']:>8.2f}"
                f"{r['tokens_per_s']:>10,.0f}{speed_up}"
            )
    for precision in args.precisions:
        done = [r for r in results if r["precision"] == precision]
        if done:
            best = min(done, key=lambda r: r["s_per_step"])
            print(f"fastest at {precision}: {best['backend']}")
    if results:
        print(f"parameters: {results[0]['params']:,}")


if __name__ == "__main__":
    main()
