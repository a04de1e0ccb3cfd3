"""`TextNormalizer`: a domain's rewrite rules as a Keras layer of TensorFlow ops.

The same layer runs in the tf.data pipeline during training and inside the exported
SavedModel, so a model never sees text normalised one way in training and another
way in serving.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf
from keras_hub.src.layers.preprocessing.preprocessing_layer import PreprocessingLayer

from ssl_domains.text.rules import Rule


@keras.saving.register_keras_serializable(package="ssl_domains")
class TextNormalizer(PreprocessingLayer):
    """Apply regex rewrite rules, in order, to a tensor of strings.

    Args:
        rules: `Rule`s, or `[name, pattern, replacement]` triples (as in a config).

    Examples:

    ```python
    from ssl_domains import Rule
    from ssl_domains.text.normalizer import TextNormalizer

    normalizer = TextNormalizer([Rule("percent", r"(\\d) per cent\\b", r"\\1%")])
    normalizer(["up 3 per cent"])  # [b'up 3%']
    ```
    """

    def __init__(self, rules: Sequence[Rule | Sequence[str]] = (), **kwargs):
        super().__init__(**kwargs)
        self.rules = [r if isinstance(r, Rule) else Rule(*r) for r in rules]

    def call(self, inputs):
        text = tf.convert_to_tensor(inputs, dtype=tf.string)
        for rule in self.rules:
            text = tf.strings.regex_replace(text, rule.pattern, rule.replacement)
        return text

    def get_config(self):
        config = super().get_config()
        config["rules"] = [[r.name, r.pattern, r.replacement] for r in self.rules]
        return config
