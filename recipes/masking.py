"""Masking of whole words and of spans, for MLM-style recipes.

keras-hub's `MaskedLMMaskGenerator` masks single tokens with tf-text's
`mask_language_model`. The same tf-text op masks whole *items* when given a
`[batch, (items), (tokens)]` ragged tensor, so whole-word masking (Cui et al., 2019)
only has to group the tokens of a word, and span masking (Joshi et al., 2020,
SpanBERT) to group runs of words into spans. Each item is then picked with
probability equal to the rate, so the expected share of masked tokens is still the
rate. (tf-text's `RandomItemSelector` picks `ceil(rate * items)`, which over-masks
when a sequence holds only a few items, as spans do.)

Words: WordPiece marks the pieces that continue a word (`gear ##ing`), SentencePiece
and byte-level BPE the pieces that start one (`▁gear ing`, `Ġgear ing`);
`word_start` says which rule a vocabulary follows (`ssl_domains.presets.families.word_start`
derives it from a keras-hub tokenizer).

Span lengths: a span ends at each word boundary with probability
`1 / mean_span_words`, so spans are geometrically distributed in words with that
mean. SpanBERT samples Geo(0.2) clipped at 10 and fills a 15% budget; ours is the
unclipped distribution without a budget, which keeps the op vectorised.

Seeds: every draw is a stateless function of a per-batch seed (`call(ids, seed=...)`,
`seeded_masks`), so the same batch of the same run gets the same masks however many
threads build batches, and a resumed run draws the masks an uninterrupted one would
(`ssl_domains.training.data_position`). Without a seed, draws are stateful as before.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text
from keras_hub.src.layers.preprocessing.preprocessing_layer import PreprocessingLayer
from tensorflow_text.python.ops.item_selector_ops import ItemSelector


class BernoulliItemSelector(ItemSelector):
    """Select each selectable item with probability `rate`, keeping at most
    `max_tokens` tokens per sequence (whole items only, in order), and one item at
    random in a sequence where the draw picked none."""

    def __init__(self, rate: float, unselectable_ids, max_tokens: int, seed=None):
        super().__init__(unselectable_ids)
        self.rate, self.max_tokens, self.seed = rate, max_tokens, seed

    def get_selection_mask(self, input_ids, axis=1):
        selectable = self.get_selectable(input_ids, axis)
        sizes = input_ids.row_lengths(axis=2).flat_values
        # An item longer than the whole budget could only block the items after it.
        fits = selectable.flat_values & (sizes <= self.max_tokens)
        noise = uniform(tf.shape(fits), self.seed)
        chosen = fits & (noise < self.rate)
        # A row where no item was drawn still gets one, at random: with spans a short
        # row holds only a few items, and a batch with nothing to predict teaches nothing.
        rows = selectable.value_rowids()
        nrows = selectable.nrows()
        any_chosen = tf.math.unsorted_segment_max(tf.cast(chosen, tf.int32), rows, nrows)
        score = tf.where(fits, noise, -1.0)
        best = tf.math.unsorted_segment_max(score, rows, nrows)
        fallback = fits & (score == tf.gather(best, rows)) & (tf.gather(any_chosen, rows) < 1)
        chosen = chosen | fallback
        sizes = tf.where(chosen, sizes, 0)
        running = tf.cumsum(sizes)
        before_row = tf.gather(tf.concat([[0], running], 0), selectable.row_splits[:-1])
        within_row = running - tf.gather(before_row, selectable.value_rowids())
        return selectable.with_flat_values(chosen & (within_row <= self.max_tokens))


class SeededMaskValuesChooser(tf_text.MaskValuesChooser):
    """tf-text's 80/10/10 choice of what replaces a selected item (the mask token, a
    random token, or the item itself), drawn from `seed` with stateless ops."""

    def __init__(self, vocab_size, mask_token, mask_token_rate, random_token_rate, seed):
        super().__init__(vocab_size, mask_token, mask_token_rate, random_token_rate)
        self.seed = seed

    def get_mask_values(self, masked_lm_ids):
        choice_seed, token_seed = tf.unstack(tf.random.experimental.stateless_split(self.seed, 2))
        flat = masked_lm_ids.flat_values
        draw = tf.random.stateless_uniform(tf.shape(flat), choice_seed)
        rate, random_rate = self._mask_token_rate, self.random_token_rate
        masked = tf.where(draw < rate, tf.cast(self.mask_token, flat.dtype), flat)
        random_ids = tf.random.stateless_uniform(
            tf.shape(flat), token_seed, maxval=self.vocab_size, dtype=flat.dtype
        )
        inject = (draw > rate) & (draw < rate + random_rate)
        return masked_lm_ids.with_flat_values(tf.where(inject, random_ids, masked))


def uniform(shape, seed=None):
    """Uniform [0, 1) noise: stateless from `seed` when given, else stateful."""
    if seed is None:
        return tf.random.uniform(shape)
    return tf.random.stateless_uniform(shape, seed)


def seeded_masks(masker, token_ids, seed):
    """`masker`'s output for `token_ids`, every draw taken from `seed` (`[2]` ints).

    `masker` is ours (`WordMaskGenerator`) or keras-hub's `MaskedLMMaskGenerator`; for
    the latter the same tf-text selection runs (`ceil(rate * tokens)` tokens a row, at
    most `mask_selection_length`), its shuffle and 80/10/10 choice made stateless."""
    if isinstance(masker, WordMaskGenerator):
        return masker(token_ids, seed=seed)
    select_seed, value_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    ids = tf.RaggedTensor.from_tensor(token_ids)
    # One draw per token of the batch; a row's shuffle sorts its tokens by their draws.
    noise = tf.random.stateless_uniform(tf.shape(ids.flat_values), select_seed)

    def shuffle(positions):
        return tf.gather(positions, tf.argsort(tf.gather(noise, positions)))

    selector = tf_text.RandomItemSelector(
        max_selections_per_batch=masker.mask_selection_length or 2**31 - 1,
        selection_rate=masker.mask_selection_rate,
        unselectable_ids=masker.unselectable_token_ids,
        shuffle_fn=shuffle,
    )
    chooser = SeededMaskValuesChooser(
        masker.vocabulary_size,
        masker.mask_token_id,
        masker.mask_token_rate,
        masker.random_token_rate,
        value_seed,
    )
    masked, positions, targets = tf_text.mask_language_model(
        ids, item_selector=selector, mask_values_chooser=chooser
    )
    width = [None, masker.mask_selection_length]
    return {
        "token_ids": tf.ensure_shape(masked.to_tensor(shape=tf.shape(token_ids)), token_ids.shape),
        "mask_positions": positions.to_tensor(shape=width),
        "mask_ids": targets.to_tensor(shape=width),
        "mask_weights": tf.ones_like(positions, tf.float32).to_tensor(shape=width),
    }


RULES = ("continuation_prefix", "start_prefix")


def continuation_pieces(vocabulary, word_start: str) -> list[bool]:
    """For each token, whether it continues the word before it, under `word_start`."""
    rule, _, prefix = word_start.partition(":")
    if rule not in RULES or not prefix:
        raise ValueError(
            f"word_start must be 'continuation_prefix:PREFIX' or 'start_prefix:PREFIX', "
            f"got {word_start!r}"
        )
    if rule == "continuation_prefix":
        return [token.startswith(prefix) for token in vocabulary]
    return [not token.startswith(prefix) for token in vocabulary]


@keras.saving.register_keras_serializable(package="ssl_domains")
class WordMaskGenerator(PreprocessingLayer):
    """Mask whole words (`mode="whole_word"`) or spans of words (`mode="span"`).

    A drop-in for `keras_hub.layers.MaskedLMMaskGenerator` on dense `[batch, seq]`
    token ids; returns the same dict (`token_ids`, `mask_positions`, `mask_ids`,
    `mask_weights`).

    Args:
        vocabulary: the tokens, indexed by id.
        mask_selection_rate: share of tokens to select, in expectation.
        mask_selection_length: most masked tokens per sequence (outputs are padded
            to it); items that would overflow it are left unmasked.
        mask_token_id: id of `[MASK]`.
        unselectable_token_ids: ids never masked (padding, `[CLS]`, `[SEP]`).
        mask_token_rate / random_token_rate: the 80/10/10 split, as in BERT.
        mode: `"whole_word"` or `"span"`.
        mean_span_words: mean span length in words, for `mode="span"`.
        word_start: how tokens mark words: `"continuation_prefix:##"` (WordPiece:
            a token starting with `##` continues the word before it) or
            `"start_prefix:▁"` (SentencePiece; `"start_prefix:Ġ"` for byte-level
            BPE: a token starting with the prefix begins a word, any other token
            continues the word before it).
        pad_token_id: id of padding, which `call` strips.

    Examples:

    ```python
    vocab = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]", "gear", "##ing", "up"]
    masker = WordMaskGenerator(vocab, 0.5, 8, mask_token_id=4,
                               unselectable_token_ids=[0, 1, 2])
    masker([[1, 5, 6, 7, 2, 0]])  # masks "gear ##ing" together, or neither

    vocab = ["<s>", "<pad>", "</s>", "<unk>", "<mask>", "▁gear", "ing", "▁up"]
    masker = WordMaskGenerator(vocab, 0.5, 8, mask_token_id=4,
                               unselectable_token_ids=[0, 1, 2, 3],
                               word_start="start_prefix:▁", pad_token_id=1)
    masker([[0, 5, 6, 7, 2, 1]])  # masks "▁gear ing" together, or neither
    ```
    """

    def __init__(
        self,
        vocabulary,
        mask_selection_rate,
        mask_selection_length,
        mask_token_id,
        unselectable_token_ids=(0,),
        mask_token_rate=0.8,
        random_token_rate=0.1,
        mode="whole_word",
        mean_span_words=3.0,
        word_start="continuation_prefix:##",
        pad_token_id=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if mode not in ("whole_word", "span"):
            raise ValueError(f"mode must be 'whole_word' or 'span', got {mode!r}")
        self.vocabulary = list(vocabulary)
        self.mask_selection_rate = mask_selection_rate
        self.mask_selection_length = mask_selection_length
        self.mask_token_id = mask_token_id
        self.unselectable_token_ids = list(unselectable_token_ids)
        self.mask_token_rate = mask_token_rate
        self.random_token_rate = random_token_rate
        self.mode = mode
        self.mean_span_words = mean_span_words
        self.word_start = word_start
        self.pad_token_id = pad_token_id
        continues = continuation_pieces(self.vocabulary, word_start)
        special = np.zeros(len(self.vocabulary), bool)
        special[self.unselectable_token_ids] = True
        self._continues = tf.constant(continues) & ~tf.constant(special)
        self._special = tf.constant(special)
        self._selector = BernoulliItemSelector(
            mask_selection_rate, self.unselectable_token_ids, mask_selection_length
        )
        self._chooser = tf_text.MaskValuesChooser(
            len(self.vocabulary),
            mask_token_id,
            mask_token_rate=mask_token_rate,
            random_token_rate=random_token_rate,
        )

    def _item_starts(self, ids: tf.RaggedTensor, seed=None) -> tf.Tensor:
        """For each token (flat), whether it starts a new masking item.

        A special token is an item of its own, and whatever follows it starts one (a
        chunk may begin with the pieces of a word cut at its start, and a document's
        first word has no `▁`/`Ġ` where the tokenizer adds no prefix space).
        """
        flat = ids.flat_values
        special = tf.gather(self._special, flat)
        after_special = tf.concat([[True], special[:-1]], axis=0)
        starts = ~tf.gather(self._continues, flat) | special | after_special
        if self.mode == "span":
            boundary = uniform(tf.shape(flat), seed) < 1.0 / self.mean_span_words
            starts = special | after_special | (starts & boundary)
        return starts

    def call(self, inputs, seed=None):
        token_ids = tf.convert_to_tensor(inputs)
        dtype = token_ids.dtype
        ids = tf.RaggedTensor.from_tensor(tf.cast(token_ids, tf.int64), padding=self.pad_token_id)
        selector, chooser = self._selector, self._chooser
        if seed is not None:
            span_seed, select_seed, value_seed = tf.unstack(
                tf.random.experimental.stateless_split(seed, 3)
            )
            rate, length = self.mask_selection_rate, self.mask_selection_length
            selector = BernoulliItemSelector(
                rate, self.unselectable_token_ids, length, seed=select_seed
            )
            chooser = SeededMaskValuesChooser(
                len(self.vocabulary),
                self.mask_token_id,
                self.mask_token_rate,
                self.random_token_rate,
                value_seed,
            )
            seed = span_seed
        starts = self._item_starts(ids, seed)
        items = tf.RaggedTensor.from_row_starts(
            ids.flat_values, tf.cast(tf.where(starts)[:, 0], tf.int64)
        )
        items_per_row = tf.math.segment_sum(tf.cast(starts, tf.int64), ids.value_rowids())
        items_per_row = tf.pad(items_per_row, [[0, ids.nrows() - tf.size(items_per_row, tf.int64)]])
        nested = tf.RaggedTensor.from_row_lengths(items, items_per_row)
        masked, positions, targets = tf_text.mask_language_model(
            nested, item_selector=selector, mask_values_chooser=chooser
        )
        width = [None, self.mask_selection_length]
        return {
            "token_ids": tf.ensure_shape(
                tf.cast(masked.to_tensor(self.pad_token_id, shape=tf.shape(token_ids)), dtype),
                token_ids.shape,
            ),
            "mask_positions": tf.cast(positions.to_tensor(shape=width), dtype),
            "mask_ids": tf.cast(targets.to_tensor(shape=width), dtype),
            "mask_weights": tf.ones_like(positions, tf.float32).to_tensor(shape=width),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary=self.vocabulary,
            mask_selection_rate=self.mask_selection_rate,
            mask_selection_length=self.mask_selection_length,
            mask_token_id=self.mask_token_id,
            unselectable_token_ids=self.unselectable_token_ids,
            mask_token_rate=self.mask_token_rate,
            random_token_rate=self.random_token_rate,
            mode=self.mode,
            mean_span_words=self.mean_span_words,
            word_start=self.word_start,
            pad_token_id=self.pad_token_id,
        )
        return config
