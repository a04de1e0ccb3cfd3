"""Token classification: `--class-weights` weighs every word by its tag's class weight,
and the tagger serves raw strings outside a graph too (export's build step, predict)."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def tagger(pretrained_run, labeled_files):
    from ssl_domains.data.labeled_set import read_labeled
    from ssl_domains.presets.encoder import Encoder
    from ssl_domains.text.tasks.token_classification import TokenClassification

    rows = read_labeled(labeled_files["token-classification"], {"tokens": "tokens", "tags": "tags"})
    labels = TokenClassification.label_names(rows)
    assert labels == ["B-ORG", "O"]
    return TokenClassification(Encoder.load(str(pretrained_run), 32), labels), rows


def test_token_weights_are_the_class_weights_of_their_tags_and_zero_on_padding(tagger):
    from ssl_domains.pipelines.finetuning import class_weights

    task, rows = tagger
    weights = class_weights(task, rows)
    assert weights[0] > 1 > weights[1]  # 2 of 7 words are B-ORG: the rarer class weighs more
    np.testing.assert_allclose((2 * weights[0] + 5 * weights[1]) / 7, 1.0, rtol=1e-5)
    _, tags, weight = next(iter(task.dataset(rows, 16, training=True, class_weights=weights)))
    real = weight.numpy() > 0
    assert real.sum(axis=1).tolist() == [7] * 16  # seven words a row; padding weighs nothing
    expected = np.where(tags.numpy() == 0, weights[0], weights[1])
    np.testing.assert_allclose(weight.numpy()[real], expected[real], rtol=1e-6)


def test_the_tagger_serves_raw_strings_eagerly_one_tag_per_word(tagger):
    import tensorflow as tf

    task, _ = tagger
    model = task.build_model()
    out = task.serve(model, tf.constant(["Acme rose on results .", "Zenith fell"]))
    tags = out["tags"].numpy()
    assert [sum(1 for t in row if t) for row in tags] == [5, 2]
    assert {t.decode() for row in tags for t in row if t} <= {"B-ORG", "O"}
