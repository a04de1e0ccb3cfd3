"""`TextModality`: text records, encoders, pooling and serving."""

from __future__ import annotations

from typing import ClassVar

from ssl_domains.errors import UserError
from ssl_domains.plugin.modality import Modality


class TextModality(Modality):
    """Records are UTF-8 documents (`text` bytes feature); encoders are a keras-hub
    backbone behind the domain's normaliser and a tokenizer; a served model takes
    strings."""

    name: ClassVar[str] = "text"
    default_task: ClassVar[str] = "classification"
    label_roles: ClassVar[dict[str, str]] = {"text": "text", "label": "label"}

    def tfds_converter(self, domain, features, field, where):
        from ssl_domains.data.tfds_source import feature_value, pick_feature, to_text

        name = pick_feature(features, "Text", field, where)
        return lambda example: to_text(feature_value(example, name))

    def features(self):
        import tensorflow as tf

        return {"text": tf.io.FixedLenFeature([], tf.string)}

    def payload(self, record: str) -> bytes:
        return record.encode("utf-8")

    def example(self, record: str):
        import tensorflow as tf

        return {
            "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[self.payload(record)]))
        }

    def serialize(self, record: str) -> bytes:
        # `example`'s message, filled in place: a third of the time of building it
        # from nested constructors, and the merging process does this per document.
        import tensorflow as tf

        example = tf.train.Example()
        example.features.feature["text"].bytes_list.value.append(self.payload(record))
        return example.SerializeToString()

    def decode(self, serialized):
        return self.parse(serialized)["text"]

    def build_encoder(self, domain, recipe, config, train_records, trusted):
        from ssl_domains.text import encoder

        if config.model.source:
            return encoder.pretrained_text_encoder(domain, config, train_records, trusted)
        return encoder.fresh_text_encoder(domain, recipe, config, train_records)

    def adopt_domain(self, encoder, domain, replace: bool) -> None:
        from ssl_domains.text.encoder import domain_normalizer

        if replace or encoder.normalizer is None:
            encoder.normalizer = domain_normalizer(domain)

    def check_encoder(self, encoder, source: str) -> None:
        if encoder.tokenizer is None:
            raise UserError(f"{source} has no tokenizer; text models need one")

    def embedding_task(self, encoder):
        from ssl_domains.text.tasks.classification import Classification

        return Classification(encoder, ["_"])

    def raw_features(self, encoder, data):
        """TF-IDF of word unigrams and bigrams of the normalised texts."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        normalized = encoder.normalize(self.predict_inputs(data.columns["text"]))
        texts = [text.decode() for text in normalized.numpy()]
        return TfidfVectorizer(ngram_range=(1, 2)).fit_transform(texts).toarray()

    def signature(self):
        import tensorflow as tf

        return [tf.TensorSpec([None], tf.string, name="text")]

    def serving_inputs(self, records):
        return [record.decode("utf-8") for record in records]

    def predict_inputs(self, inputs: list[str]):
        import tensorflow as tf

        return tf.constant(inputs)

    def inspect(self, domain, records, config, result, tokenizer_source="", extend=0) -> None:
        from ssl_domains.presets.encoder import Encoder
        from ssl_domains.presets.sources import resolve_source
        from ssl_domains.text import encoder as text
        from ssl_domains.text.fertility import fertility, token_lengths

        normalizer = text.domain_normalizer(domain)
        own = text.fresh_vocabulary(domain, config, records)
        result.fertility["domain vocabulary"] = fertility(records, own, normalizer)
        result.vocabulary_sizes["domain vocabulary"] = own.vocabulary_size()
        used = own
        if tokenizer_source:
            loaded = Encoder.load(resolve_source(tokenizer_source))
            used = loaded.tokenizer
            result.fertility[tokenizer_source] = fertility(records, used, normalizer)
            result.vocabulary_sizes[tokenizer_source] = used.vocabulary_size()
            if extend:
                extended, result.added_tokens, _ = text.extended_tokenizer(
                    used, domain, records, normalizer, extend
                )
                if extended is not None:
                    name = f"{tokenizer_source} + {len(result.added_tokens)} domain tokens"
                    result.fertility[name] = fertility(records, extended, normalizer)
                    result.vocabulary_sizes[name] = extended.vocabulary_size()
        result.sequence_length = config.data.seq_len
        result.token_lengths, result.short_share = token_lengths(
            records, used, normalizer, config.data.seq_len
        )
