"""Representation quality the way SSL papers measure it: probes on frozen embeddings.

Each source embeds every labeled row once, pooled by its modality (the masked mean
of the backbone's sequence output over tokens or audio frames, the mean over an image
backbone's feature map or tokens: the pooling fine-tuning uses). A `raw:` source is
the baseline of raw inputs (TF-IDF of the text, log-mel statistics of the audio, the
image's pixels). Then, for several seeds, a stratified
split is drawn, optionally `shots` labels per class are kept for training, and a
linear classifier (logistic regression) and a kNN classifier (cosine, k=5) are fit
on the frozen embeddings and scored on the rest. Every source sees the same splits.
A `random:` source is drawn anew for each split, its weights seeded by the split's
seed, so its mean is an expectation over random encoders rather than one draw's
luck, and the same seeds give the same encoders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ssl_domains.data.labeled_set import LabeledSet, class_names, few_shot, stratified_split
from ssl_domains.errors import UserError

RANDOM_PREFIX = "random:"
RAW_PREFIX = "raw:"  # the source's raw inputs as features: the baseline a representation must beat


def source_location(source: str) -> str:
    """The run or preset a probe source names, without its `random:` or `raw:` prefix."""
    return source.removeprefix(RANDOM_PREFIX).removeprefix(RAW_PREFIX)


@dataclass
class ProbeResult:
    source: str
    scores: dict[str, list[float]] = field(default_factory=dict)

    def mean_std(self, key: str) -> tuple[float, float]:
        values = np.array(self.scores[key])
        return float(values.mean()), float(values.std())


def load_encoder(
    source: str,
    domain: str = "",
    sequence_length: int | None = None,
    plugins=None,
    seed: int | None = None,
):
    """`source`, or with a `random:` prefix the same architecture freshly initialised
    (`redraw`, with `seed`), with `domain`'s preprocessing (default: the domain its
    preset records). `plugins`: the `Registry` that names domains (default: the
    installed plugins)."""
    from ssl_domains.plugin.modality import modality_of
    from ssl_domains.plugin.registry import registry
    from ssl_domains.presets.encoder import Encoder
    from ssl_domains.presets.sources import resolve_source

    random_init = source.startswith(RANDOM_PREFIX)
    location = resolve_source(source_location(source))
    plugins = plugins or registry()
    encoder = Encoder.load(location, sequence_length, plugins.trusted_packages)
    domain = domain or encoder.info.get("domain", "")
    adapter = plugins.domain(domain) if domain else None
    if adapter is not None:
        replace = domain != encoder.info.get("domain")
        modality_of(adapter).adopt_domain(encoder, adapter(), replace)
    encoder.info["domain"] = domain
    if random_init:
        redraw(encoder, seed)
    return encoder


def redraw(encoder, seed: int | None = None) -> None:
    """Replace `encoder.backbone` by a freshly initialised one of the same architecture.
    `seed` makes the draw repeatable, the same seed the same weights: it goes to
    `keras.utils.set_random_seed`, which Keras's unseeded initialisers draw from (and
    which also seeds Python's, NumPy's and the backend's global generators); None
    draws anew."""
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)
    encoder.backbone = type(encoder.backbone).from_config(encoder.backbone.get_config())


def embed(encoder, data: LabeledSet, modality=None, plugins=None, raw=False) -> np.ndarray:
    """One vector per row, pooled by `modality` (default: the one of the encoder's
    domain, named in `plugins`): the masked mean of the backbone's sequence output over
    tokens, or frames. `raw`: the modality's raw-input features instead
    (`Modality.raw_features`), prepared as the encoder prepares its inputs."""
    from ssl_domains.plugin.modality import modality_of
    from ssl_domains.plugin.registry import registry

    if modality is None:
        name = encoder.info.get("domain", "")
        modality = modality_of((plugins or registry()).domain(name) if name else None)
    return modality.raw_features(encoder, data) if raw else modality.embed(encoder, data)


def score_probes(train_x, train_y, test_x, test_y, k: int = 5) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probes = {
        "linear": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        "knn": KNeighborsClassifier(n_neighbors=min(k, len(train_y)), metric="cosine"),
    }
    scores = {}
    for name, probe in probes.items():
        predicted = probe.fit(train_x, train_y).predict(test_x)
        scores[f"{name}_accuracy"] = float(np.mean(predicted == test_y))
        scores[f"{name}_macro_f1"] = float(f1_score(test_y, predicted, average="macro"))
    return scores


def evaluate_sources(
    sources: list[str],
    data: LabeledSet,
    shots: int = 0,
    seeds: int = 5,
    test_fraction: float = 0.3,
    domain: str = "",
    on_source=None,
    plugins=None,
    modality=None,
) -> list[ProbeResult]:
    """Probe each source's frozen embeddings on the same seeded splits of `data`.

    A `random:` source is a fresh encoder per split, seeded by the split's seed
    (`redraw`): its scores average over random draws, not one. `modality`: the
    `Modality` whose pooling embeds the rows (default: each source's).

    Examples:

    ```python
    from ssl_domains.data.labeled_set import read_labeled
    from ssl_domains.evaluation.probes import evaluate_sources

    data = read_labeled("labels.csv", {"text": "text", "label": "label"})
    for r in evaluate_sources(["random:runs/finance-mlm-1", "runs/finance-mlm-1"], data, shots=8):
        print(r.source, r.mean_std("linear_accuracy"))
    ```
    """
    names = class_names(data.columns["label"], data.path)
    labels = np.array([names.index(v) for v in data.columns["label"]])
    if shots < 0 or seeds < 1:
        raise UserError("--shots must be >= 0 and --seeds >= 1")
    splits = []
    for seed in range(seeds):
        train, test = stratified_split(list(labels), len(labels), test_fraction, seed)
        if shots:
            train = few_shot(train, labels, shots, np.random.default_rng(seed))
        splits.append((train, test))
    results = []
    for source in sources:
        encoder = load_encoder(source, domain, plugins=plugins, seed=0)
        vectors = embed(encoder, data, modality, plugins, raw=source.startswith(RAW_PREFIX))
        result = ProbeResult(source)
        for seed, (train, test) in enumerate(splits):
            if source.startswith(RANDOM_PREFIX) and seed > 0:  # one draw per split
                redraw(encoder, seed)
                vectors = embed(encoder, data, modality, plugins)
            for key, value in score_probes(
                vectors[train], labels[train], vectors[test], labels[test]
            ).items():
                result.scores.setdefault(key, []).append(value)
        results.append(result)
        if on_source:
            on_source(result)
    return results


def as_dict(results: list[ProbeResult]) -> list[dict[str, Any]]:
    return [
        {
            "source": r.source,
            **{k: {"mean": r.mean_std(k)[0], "std": r.mean_std(k)[1]} for k in r.scores},
        }
        for r in results
    ]
