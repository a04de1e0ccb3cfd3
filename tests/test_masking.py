"""MLM masking: BERT's 15% with 80/10/10, whole words, spans, fresh each epoch."""

import numpy as np
import pytest
import tensorflow as tf
from ssl_domains.recipes.mlm import MaskedLanguageModeling, MLMConfig

from ssl_domains.presets.encoder import Encoder
from ssl_domains.text.tokenizer import DomainTokenizer

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
    selectable = (restore(ids, positions, targets, weights) > 4).sum(axis=1)
    # keras-hub selects ceil(15%) of each row's selectable tokens (up to one extra a row).
    expected = np.ceil(0.15 * selectable).sum() / selectable.sum()
    assert abs((weights > 0).sum() / selectable.sum() - expected) < 0.005
    assert 0.15 <= expected < 0.15 + 1 / selectable.mean()
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
    # Pretraining seeds everything; a global seed must not freeze the masks. The one
    # document recurs in every batch of the endless training stream, masked anew.
    import keras

    keras.utils.set_random_seed(0)
    batches = MaskedLanguageModeling().batches(texts(1), encoder(), 1, training=True, seed=1)
    first, second = [x["mask_positions"].numpy() for x, _, _ in batches.take(2)]
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


def pieces_of_words(word_start: str, rows: int = 64, length: int = 48, seed: int = 0):
    """Vocabulary, token ids and the word index of each token, for words of 1-3 pieces
    marked as `word_start` says; the words are known from how they were built."""
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    rule, marker = word_start.split(":")
    stems = [f"w{i}" for i in range(200)]
    suffixes = ["a", "b", "c"]
    if rule == "start_prefix":
        vocabulary = specials + [marker + s for s in stems] + suffixes
    else:
        vocabulary = specials + stems + [marker + s for s in suffixes]
    rng = np.random.default_rng(seed)
    ids = np.ones((rows, length), np.int32)  # <pad>
    words = np.full((rows, length), -1)
    for row in range(rows):
        tokens, owners, word = [0], [-1], 0
        while len(tokens) < length - 8:
            stem = 5 + int(rng.integers(len(stems)))
            extra = [5 + len(stems) + int(k) for k in rng.integers(0, 3, rng.integers(0, 3))]
            tokens += [stem, *extra]
            owners += [word] * (1 + len(extra))
            word += 1
        tokens.append(2)
        owners.append(-1)
        ids[row, : len(tokens)] = tokens
        words[row, : len(owners)] = owners
    return vocabulary, ids, words


@pytest.mark.parametrize("mode", ["whole_word", "span"])
@pytest.mark.parametrize(
    "word_start", ["continuation_prefix:##", "start_prefix:\u2581", "start_prefix:\u0120"]
)
def test_a_word_of_several_pieces_is_masked_entirely_or_not_at_all(word_start, mode):
    from ssl_domains.recipes.masking import WordMaskGenerator

    vocabulary, ids, words = pieces_of_words(word_start)
    masker = WordMaskGenerator(
        vocabulary,
        mask_selection_rate=0.15,
        mask_selection_length=24,
        mask_token_id=4,
        unselectable_token_ids=[0, 1, 2, 3, 4],
        mode=mode,
        word_start=word_start,
        pad_token_id=1,
    )
    out = masker(ids)
    positions, weights = out["mask_positions"].numpy(), out["mask_weights"].numpy()
    masked = 0
    for row in range(len(ids)):
        chosen = set(positions[row][weights[row] > 0].tolist())
        assert all(words[row, p] >= 0 for p in chosen)  # never a special token
        for word in {words[row, p] for p in chosen}:
            assert set(np.flatnonzero(words[row] == word)) <= chosen
        masked += len(chosen)
        several = [w for w in set(words[row]) if (words[row] == w).sum() > 1 and w >= 0]
        assert several  # the test data holds multi-piece words
    # These rows hold a few spans each: the floor of one item a row lifts the span share.
    assert 0.08 < masked / (words >= 0).sum() < (0.2 if mode == "whole_word" else 0.26)


def test_every_row_of_a_few_words_gets_a_masked_word():
    # Three words a row at 15%: the draw alone leaves 61% of rows with nothing to predict.
    from ssl_domains.recipes.masking import WordMaskGenerator

    vocabulary, ids, words = pieces_of_words("continuation_prefix:##", length=12)
    masker = WordMaskGenerator(
        vocabulary,
        mask_selection_rate=0.15,
        mask_selection_length=4,
        mask_token_id=4,
        unselectable_token_ids=[0, 1, 2, 3, 4],
        mode="whole_word",
        word_start="continuation_prefix:##",
        pad_token_id=1,
    )
    weights = masker(ids)["mask_weights"].numpy()
    assert (weights.sum(axis=1) >= 1).all()
    assert (weights.sum(axis=1) <= 4).all()


def test_a_misspelt_word_start_rule_is_refused():
    from ssl_domains.recipes.masking import WordMaskGenerator

    with pytest.raises(ValueError, match="word_start"):
        WordMaskGenerator(["<pad>", "a"], 0.15, 4, mask_token_id=0, word_start="prefix:▁")


def test_whole_word_masking_refuses_a_tokenizer_without_word_boundaries():
    import keras_hub

    from ssl_domains.errors import UserError

    enc = encoder()
    enc.tokenizer = keras_hub.tokenizers.ByteTokenizer()
    recipe = MaskedLanguageModeling(MLMConfig(masking="whole_word"))
    with pytest.raises(UserError, match="ByteTokenizer.*recipe.masking=token"):
        recipe.masker(enc, preprocessor=None)


def test_whole_word_masking_refuses_sentencepiece_that_marks_word_ends():
    import io

    import keras_hub
    import sentencepiece as spm

    from ssl_domains.errors import UserError
    from ssl_domains.presets.families import word_start

    proto = io.BytesIO()
    lines = [" ".join(f"w{i} w{i}x w{i}yz" for i in range(j, j + 20)) for j in range(200)]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=proto,
        vocab_size=120,
        treat_whitespace_as_suffix=True,
        minloglevel=2,
    )
    tokenizer = keras_hub.tokenizers.SentencePieceTokenizer(proto=proto.getvalue())
    with pytest.raises(UserError, match="does not mark word starts with '▁'.*recipe.masking=token"):
        word_start(tokenizer)
