"""Export time and SavedModel latency: one input, and a batch of 64.

Fine-tunes a classifier on the domain's labeled sample (from a given run, or from a
fresh embedded-default pretraining run), exports it, then calls the SavedModel's
`serving_default` the way a server would: 5 warm-up calls, then the median of 50.

    python benchmarks/serving_latency.py --run runs/finance-mlm-...
    python benchmarks/serving_latency.py --domain speech --run runs/speech-wav2vec2-...
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _cli import ssl_domains


def timed(call, repeats: int = 50) -> float:
    for _ in range(5):
        call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default="finance")
    parser.add_argument("--run", type=Path, help="a pretraining run (default: pretrain one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run or Path(tmp) / "pretrained"
        if args.run is None:
            ssl_domains("pretrain", "--domain", args.domain, "--run-dir", str(run))
        tuned, out = Path(tmp) / "tuned", Path(tmp) / "serving"
        ssl_domains("finetune", str(run), "--run-dir", str(tuned), "--epochs", "3")
        print(
            f"export (command wall time, parity check included): "
            f"{ssl_domains('export', str(tuned), '--out', str(out)):.1f} s"
        )

        import numpy as np
        import tensorflow as tf
        import tensorflow_text  # noqa: F401  (registers the tokenizer's ops)

        serve = tf.saved_model.load(str(out)).signatures["serving_default"]
        (name,) = serve.structured_input_signature[1]
        if name == "waveform":  # one second of audio at 16 kHz
            clip = 0.1 * np.sin(np.linspace(0, 2000, 16_000, dtype=np.float32))[None]
            one, many = tf.constant(clip), tf.constant(np.repeat(clip, 64, axis=0))
        else:
            text = "Acme raised its full-year outlook after revenue rose 12% to $4.2bn."
            one, many = tf.constant([text]), tf.constant([text] * 64)
        print(f"latency, 1 input:   {timed(lambda: serve(**{name: one})):.1f} ms")
        print(f"latency, 64 inputs: {timed(lambda: serve(**{name: many})):.1f} ms")


if __name__ == "__main__":
    main()
