"""`DomainTokenizer`: BERT WordPiece that keeps a domain's units whole.

keras-hub's WordPiece splits every word on punctuation, which shreds `$4.2bn`,
`12.5%` or `Q3-FY2024` into pieces that no longer mean an amount, a rate or a
period. `DomainTokenizer` passes the domain's unit patterns to the same
pre-tokeniser keras-hub uses for special tokens, so a unit becomes one word; the
WordPiece vocabulary trained on the corpus then holds frequent units as one token
and splits rare ones into `##` pieces of the same word. Everything else is
keras-hub's `BertTokenizer`, so presets, preprocessors and tasks accept it.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras_hub.models import BertTokenizer
from keras_hub.src.tokenizers.word_piece_tokenizer import (
    get_special_tokens_pattern,
    pretokenize,
)
from keras_hub.src.utils.tensor_utils import preprocessing_function


@keras.saving.register_keras_serializable(package="ssl_domains")
class DomainTokenizer(BertTokenizer):
    """A `keras_hub.models.BertTokenizer` whose pre-tokeniser keeps `units` whole.

    Args:
        vocabulary: WordPiece vocabulary (list or file), as for `BertTokenizer`.
        lowercase: case-fold words; units keep their case (tickers stay `$ACME`).
        units: an RE2 regex; each match is kept as one word. `None` behaves
            like `BertTokenizer`, which splits words on Unicode spaces too.

    Examples:

    ```python
    from ssl_domains.text.tokenizer import DomainTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "rose", "to", "12.5%"]
    tokenizer = DomainTokenizer(vocab, units=r"\\d+(?:\\.\\d+)?%")
    tokenizer.pretokenize(["rose 12.5% to"])  # [[b'rose', b'12.5%', b'to']]
    tokenizer("rose 12.5% to")  # [5, 7, 6]
    ```
    """

    def __init__(self, vocabulary=None, lowercase=False, units=None, **kwargs):
        self.units = units
        # One code path: TensorFlow ops, in tf.data, eager calls and SavedModels alike.
        kwargs["_allow_python_workflow"] = False
        super().__init__(vocabulary=vocabulary, lowercase=lowercase, **kwargs)

    def _split_pattern(self) -> str | None:
        specials = get_special_tokens_pattern(self._special_tokens_for_splitting())
        patterns = [p for p in (specials, self.units) if p]
        return "|".join(patterns) if patterns else None

    def pretokenize(self, inputs) -> tf.RaggedTensor:
        """Strings -> words (ragged), exactly as `tokenize` splits them."""
        inputs = tf.convert_to_tensor(inputs) if not isinstance(inputs, tf.RaggedTensor) else inputs
        # keras-hub splits words on ASCII whitespace and control characters only;
        # BERT's own tokenizer also on Unicode spaces (category Z: no-break, thin,
        # ideographic, ...), without which "a\u00a0b" would be one word, in the
        # vocabulary too.
        inputs = tf.ragged.map_flat_values(tf.strings.regex_replace, inputs, r"\p{Z}", " ")
        return pretokenize(
            inputs,
            self.lowercase,
            self.strip_accents,
            self.split,
            self.split_on_cjk,
            self._split_pattern(),
        )

    @preprocessing_function
    def _tokenize_tf(self, inputs):
        self._maybe_initialized_tf()
        if not isinstance(inputs, tf.RaggedTensor):
            inputs = tf.convert_to_tensor(inputs)
        unbatched = inputs.shape.rank == 0
        tokens = self._fast_word_piece.tokenize(self.pretokenize(inputs)).merge_dims(-2, -1)
        if self.sequence_length:
            shape = tokens.shape.as_list()
            shape[-1] = self.sequence_length
            tokens = tokens.to_tensor(shape=shape)
        if unbatched:
            tokens = tf.squeeze(tokens, 0)
        return tokens

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config
