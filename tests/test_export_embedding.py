"""A pretraining run exports as an embedding SavedModel: raw text in, a unit vector out,
the same representation the probes measure; and raw inputs are a probe baseline."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_text  # noqa: F401  the tokenizer's ops, as any server of the model needs

from ssl_domains.data.labeled_set import LabeledSet
from ssl_domains.errors import UserError
from ssl_domains.evaluation.probes import embed, evaluate_sources, load_encoder
from ssl_domains.export.saved_model import export

TEXTS = [
    "Acme raised its full-year outlook after revenue rose 12%.",
    "Zenith cut its dividend as losses widened.",
    "Shares of Calder were unchanged.",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, pretrained_run):
    out = tmp_path_factory.mktemp("export") / "embedding"
    return export(pretrained_run, "saved_model", out)


def test_a_pretraining_run_exports_unit_vectors_checked_against_keras(exported):
    assert exported.max_difference <= 1e-5 and exported.samples == 8
    serving = tf.saved_model.load(str(exported.path)).signatures["serving_default"]
    vectors = serving(text=tf.constant(TEXTS))["embedding"].numpy()
    assert vectors.shape[0] == 3 and vectors.shape[1] >= 16
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_the_exported_embedding_is_the_representation_the_probes_measure(exported, pretrained_run):
    serving = tf.saved_model.load(str(exported.path)).signatures["serving_default"]
    served = serving(text=tf.constant(TEXTS))["embedding"].numpy()
    pooled = embed(load_encoder(str(pretrained_run)), LabeledSet("x", {"text": TEXTS}))
    expected = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    np.testing.assert_allclose(served, expected, atol=1e-4)


def test_a_pretraining_run_exports_only_as_a_saved_model(pretrained_run, tmp_path):
    with pytest.raises(UserError, match="pretraining run"):
        export(pretrained_run, "keras", tmp_path / "out")


def test_raw_inputs_are_a_probe_baseline(pretrained_run, labeled_files):
    from ssl_domains.data.labeled_set import read_labeled

    rows = read_labeled(labeled_files["classification"], {"text": "text", "label": "label"})
    (raw,) = evaluate_sources([f"raw:{pretrained_run}"], rows, seeds=2)
    # The label is one word (rose or fell): TF-IDF of the words finds it.
    assert raw.mean_std("linear_accuracy")[0] > 0.9
