"""Does the input pipeline keep up with the MLM step? Input batches/s against steps/s.

The `mlm` recipe tokenizes, packs and masks on the fly (tf.data with keras-hub's
masked-LM preprocessor). This builds its training batches exactly as `pretrain`
does, from a prepared corpus of real text (8 MB of the changelog paragraphs of
`/usr/share/doc`, as `prepare.py` gathers them; finance domain, its WordPiece
vocabulary), at the issue's shape (batch 32 x 128 tokens), and measures:

- input: batches/s of the pipeline alone, nothing else running;
- step: steps/s of a MiniLM-shaped BERT (6 x 384, `precision.py`'s) on one batch
  fed again and again, so that input costs nothing;
- fed: steps/s of the same model fed by the pipeline, both sharing the cores.

If fed is as fast as step, the pipeline does not starve the model; input / step says
by how much it outruns it.

    python benchmarks/input_pipeline.py                     # TensorFlow, 20 steps
    python benchmarks/input_pipeline.py --backend jax --steps 10
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from precision import BATCH, MINILM, SEQ_LEN  # noqa: E402
from prepare import changelog_file  # noqa: E402

CORPUS_BYTES = 8 * 2**20


def per_second(count: int, run) -> float:
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


def measure(backend: str, steps: int, input_batches: int) -> dict:
    from rich.console import Console

    from ssl_domains.backend import select_backend

    select_backend(backend)
    import keras
    import keras_hub

    from ssl_domains.config import resolve_config
    from ssl_domains.pipelines import pretraining
    from ssl_domains.plugin.modality import modality_of
    from ssl_domains.plugin.registry import registry
    from ssl_domains.training.run_directory import RunDirectory
    from ssl_domains.training.trainer import Trainer

    scratch = Path(tempfile.mkdtemp())
    corpus = changelog_file(scratch / "changelogs.jsonl", CORPUS_BYTES)
    flags = {"run.domain": "finance", "data.corpus": [str(corpus)], "run.dir": str(scratch / "run")}
    config = resolve_config(registry(), flags=flags, sets=[f"data.seq_len={SEQ_LEN}"])
    domain = registry().domain("finance")(config.domain)
    recipe = registry().recipe("mlm")(config.recipe)
    run = RunDirectory.create(config, "bench")
    console = Console(stderr=True)
    report = pretraining.prepare(domain, config, run, console)
    modality = modality_of(domain)
    records = pretraining.record_dataset(run, report.train_files, modality)
    encoder, _ = pretraining.build_encoder(domain, recipe, config, run, records, ())
    shuffled = pretraining.record_dataset(run, report.train_files, modality, 10_000, 0)
    batches = recipe.batches(shuffled, encoder, BATCH, training=True, seed=0)

    iterator = iter(batches)
    next(iterator)  # the first batch fills the shuffle buffer: not the steady rate
    input_rate = per_second(input_batches, lambda: [next(iterator) for _ in range(input_batches)])

    # A MiniLM-shaped model over this run's vocabulary, as the trainer compiles it.
    dims = {**MINILM, "vocabulary_size": encoder.backbone.vocabulary_size}
    backbone = keras_hub.models.BertBackbone(max_sequence_length=512, **dims)
    model = recipe.build_model(type(encoder)(backbone, sequence_length=SEQ_LEN))
    trainer = Trainer(None, config.train)
    model.compile(optimizer=trainer.optimizer(1000), **recipe.compile_args())
    one_batch = batches.take(1).cache().repeat()
    model.fit(one_batch, steps_per_epoch=2, shuffle=False, verbose=0)  # compiles
    step_rate = per_second(
        steps, lambda: model.fit(one_batch, steps_per_epoch=steps, shuffle=False, verbose=0)
    )
    fed_rate = per_second(
        steps, lambda: model.fit(batches, steps_per_epoch=steps, shuffle=False, verbose=0)
    )
    return {
        "backend": backend,
        "corpus MB": round(CORPUS_BYTES / 1e6, 1),
        "input batches/s": round(input_rate, 2),
        "steps/s (one batch again)": round(step_rate, 3),
        "steps/s (fed by the pipeline)": round(fed_rate, 3),
        "input / step": round(input_rate / step_rate, 1),
        "keras": keras.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="tensorflow")
    parser.add_argument("--steps", type=int, default=20, help="timed steps, each way")
    parser.add_argument("--input-batches", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(measure(args.backend, args.steps, args.input_batches), indent=2))


if __name__ == "__main__":
    main()
