"""MLM masking: BERT's 15% with 80/10/10, whole words, spans, fresh each epoch."""

import numpy as np
import pytest
import tensorflow as tf
from ssl_domains.recipes.mlm import MaskedLanguageModeling, MLMConfig

from ssl_domains.encoder import Encoder
from ssl_domains.tokenizer import DomainTokenizer

SPECIAL = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"]
WORDS = [f"w{i}" for i in range(300)]
PIECES = ["##a", "##b", "##c"]


def encoder() -> Encoder:
    import keras_hub

    tokenizer = DomainTokenizer(SPECIAL + WORDS + PIECES)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=len(SPECIAL + WORDS + PIECES),
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=64,
    )
    return Encoder(backbone, tokenizer, None, sequence_length=64)


def texts(n: int, seed: int = 0, suffixes: bool = False) -> tf.data.Dataset:
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n):
        words = rng.choice(WORDS, size=60)
        if suffixes:  # words of 1-3 pieces: w12, w12abc -> w12 ##a ##b ##c
            words = [w + "abc"[: rng.integers(0, 3)] for w in words]
        docs.append(" ".join(words))
    return tf.data.Dataset.from_tensor_slices(docs)


def collect(recipe, enc, data, batches=40):
    x_ids, positions, targets, weights = [], [], [], []
    for x, y, w in recipe.batches(data, enc, 32, training=True).take(batches):
        x_ids.append(x["token_ids"].numpy())
        positions.append(x["mask_positions"].numpy())
        targets.append(y.numpy())
        weights.append(w.numpy())
    return map(np.concatenate, (x_ids, positions, targets, weights))


def restore(ids, positions, targets, weights):
    """The token ids before masking."""
    original = ids.copy()
    rows, cols = np.nonzero(weights > 0)
    original[rows, positions[rows, cols]] = targets[rows, cols]
    return original


def test_mlm_masks_fifteen_percent_of_tokens_with_80_10_10_replacement():
    enc = encoder()
    ids, positions, targets, weights = collect(MaskedLanguageModeling(), enc, texts(1200))
    selectable = (restore(ids, positions, targets, weights) > 4).sum()
    assert abs((weights > 0).sum() / selectable - 0.15) < 0.01
    seen = np.take_along_axis(ids, positions, 1)[weights > 0]
    original = targets[weights > 0]
    mask_id = enc.tokenizer.mask_token_id
    as_mask = np.mean(seen == mask_id)
    kept = np.mean(seen == original)
    randomised = np.mean((seen != mask_id) & (seen != original))
    assert abs(as_mask - 0.8) < 0.02
    assert abs(kept - 0.1) < 0.02
    assert abs(randomised - 0.1) < 0.02


def test_masks_are_drawn_afresh_each_epoch():
    # Pretraining seeds everything and repeats the dataset; a global seed must not
    # freeze the masks (a fresh iterator would replay them; a repeat draws anew).
    import keras

    keras.utils.set_random_seed(0)
    batches = MaskedLanguageModeling().batches(texts(1), encoder(), 1, training=True, seed=1)
    first, second = [x["mask_positions"].numpy() for x, _, _ in batches.repeat(2)]
    assert not np.array_equal(first, second)


def word_ids(row, tokenizer):
    """Index of the word each token belongs to: `##` pieces continue the word before,
    unless that is a special token."""
    ids, word, previous_special = [], -1, True
    for token in row:
        special = token in tokenizer.special_token_ids
        if special or previous_special or not tokenizer.id_to_token(int(token)).startswith("##"):
            word += 1
        ids.append(word)
        previous_special = special
    return np.array(ids)


@pytest.mark.parametrize("mode", ["whole_word", "span"])
def test_whole_word_and_span_masking_mask_every_piece_of_a_chosen_word(mode):
    enc = encoder()
    recipe = MaskedLanguageModeling(MLMConfig(masking=mode))
    batches = recipe.batches(texts(300, suffixes=True), enc, 32, training=True)
    masked = total = 0
    for x, y, w in batches.take(8):
        ids, positions, targets, weights = (
            t.numpy() for t in (x["token_ids"], x["mask_positions"], y, w)
        )
        for row, original in enumerate(restore(ids, positions, targets, weights)):
            chosen = positions[row][weights[row] > 0]
            words = word_ids(original, enc.tokenizer)
            for word in set(words[chosen]):
                assert set(np.flatnonzero(words == word)) <= set(chosen)
            masked += len(chosen)
            total += int((original > 4).sum())
    assert abs(masked / total - 0.15) < 0.03
