"""`ImageTextModality`: image-caption pairs as shard records, dual encoders, serving.

A cleaned pair is stored as its image in PNG (with its shape) and its caption in
UTF-8, and decodes back to `(uint8 image, caption string)`. The encoder is a
`DualEncoderBackbone` (an image backbone and a text backbone, projected into one
space) or keras-hub's `CLIPBackbone`, with the caption tokenizer, the domain's
normaliser and an image converter. A served model has two signatures, `embed_image`
(encoded image files) and `embed_text` (raw strings), each to unit vectors
(`ssl_domains.image_text.export`); evaluation is zero-shot classification and
retrieval (`ssl_domains.image_text.zero_shot`), not probes.
"""

from __future__ import annotations

from typing import ClassVar

from ssl_domains.errors import UserError
from ssl_domains.plugin.modality import Modality


class ImageTextModality(Modality):
    """Records are `image` (PNG bytes), `height`, `width`, `channels` and `caption`."""

    name: ClassVar[str] = "image-text"
    default_task: ClassVar[str] = "zero-shot"
    label_roles: ClassVar[dict[str, str]] = {"image": "path", "label": "label"}

    def tfds_converter(self, domain, features, field, where):
        """`field` is `IMAGE,TEXT` (either may be left empty to take the only one)."""
        from ssl_domains.data.records import BadRecord
        from ssl_domains.data.tfds_source import feature_value, pick_feature, to_image, to_text
        from ssl_domains.image_text.reading import Pair

        image_field, _, text_field = field.partition(",")
        image_name = pick_feature(features, "Image", image_field.strip(), where)
        text_name = pick_feature(features, "Text", text_field.strip(), where)
        channels = getattr(domain, "channels", 3)

        def to_pair(example):
            image = to_image(feature_value(example, image_name), channels)
            caption = to_text(feature_value(example, text_name))
            bad = [part for part in (image, caption) if isinstance(part, BadRecord)]
            return bad[0] if bad else Pair(image, caption)

        return to_pair

    def features(self):
        import tensorflow as tf

        from ssl_domains.image.modality import ImageModality

        return {**ImageModality().features(), "caption": tf.io.FixedLenFeature([], tf.string)}

    def payload(self, record) -> bytes:
        image, caption = record
        return str(image.shape).encode() + image.tobytes() + caption.encode("utf-8")

    def example(self, record):
        import tensorflow as tf

        from ssl_domains.image.modality import ImageModality

        image, caption = record
        text = tf.train.BytesList(value=[caption.encode("utf-8")])
        return {**ImageModality().example(image), "caption": tf.train.Feature(bytes_list=text)}

    def decode(self, serialized):
        """-> (uint8 `(height, width, channels)`, caption string)."""
        import tensorflow as tf

        parsed = self.parse(serialized)
        image = tf.io.decode_png(parsed["image"])
        shape = tf.stack([parsed["height"], parsed["width"], parsed["channels"]])
        return tf.reshape(image, tf.cast(shape, tf.int32)), parsed["caption"]

    # -- encoders -------------------------------------------------------------------

    def build_encoder(self, domain, recipe, config, train_records, trusted):
        """Fresh: the recipe's image tower of `model.size` and text tower over a
        WordPiece vocabulary trained on the captions. `--from`: a dual encoder (a CLIP
        run of ours, or a keras-hub `CLIPBackbone` preset) continues as it is; a text
        preset gives the text tower and its tokenizer (the image tower is fresh); an
        image preset gives the image tower and its converter (the text tower is fresh).
        `model.image_source` names an image preset for the image tower beside a text
        preset `--from`, so both towers start pretrained."""
        from ssl_domains.image_text.dual_encoder import is_dual_encoder
        from ssl_domains.presets.encoder import Encoder
        from ssl_domains.presets.sources import resolve_source
        from ssl_domains.text.encoder import domain_normalizer, fresh_vocabulary

        seq_len = config.data.seq_len
        loaded = None
        if config.model.source:
            location = resolve_source(config.model.source)
            loaded = Encoder.load(location, None, trusted)
            if is_dual_encoder(loaded.backbone) and config.model.image_source:
                raise UserError(
                    f"{config.model.source} is a whole dual encoder: model.image_source "
                    "is for a text preset --from (or none)"
                )
            if is_dual_encoder(loaded.backbone):
                limit = getattr(
                    getattr(loaded.backbone, "text_encoder", None), "max_sequence_length", 0
                )
                loaded.sequence_length = min(seq_len, limit) if limit else seq_len
                self.check_encoder(loaded, config.model.source)
                self.adopt_domain(loaded, domain, replace=True)
                return loaded
        text_tower = image_tower = converter = tokenizer = None
        if loaded is not None and loaded.tokenizer is not None:
            text_tower, tokenizer = loaded.backbone, loaded.tokenizer
        elif loaded is not None and getattr(loaded.backbone, "image_shape", None) is not None:
            image_tower, converter = loaded.backbone, loaded.converter
        elif loaded is not None:
            kind = type(loaded.backbone).__name__
            raise UserError(f"{config.model.source} holds a {kind}: neither text nor images")
        if config.model.image_source:
            if image_tower is not None:
                raise UserError("--from is an image preset already; drop model.image_source")
            image = Encoder.load(resolve_source(config.model.image_source), None, trusted)
            if getattr(image.backbone, "image_shape", None) is None:
                kind = type(image.backbone).__name__
                raise UserError(f"model.image_source {config.model.image_source} holds a {kind}")
            image_tower, converter = image.backbone, image.converter
        if tokenizer is None:
            captions = train_records.map(lambda image, caption: caption)
            tokenizer = fresh_vocabulary(domain, config, captions)
        backbone = recipe.build_backbone(
            config.model.size,
            image_size=domain.image_size,
            channels=domain.channels,
            vocabulary_size=tokenizer.vocabulary_size(),
            sequence_length=seq_len,
            pad_token_id=getattr(tokenizer, "pad_token_id", 0) or 0,
            image_encoder=image_tower,
            text_encoder=text_tower,
        )
        encoder = Encoder(
            backbone, tokenizer, domain_normalizer(domain), seq_len, converter=converter
        )
        self.adopt_domain(encoder, domain, replace=True)
        return encoder

    def adopt_domain(self, encoder, domain, replace: bool) -> None:
        """The domain's caption normaliser; the image size and channels the image tower
        takes (the domain's for a tower of any size)."""
        from ssl_domains.image.pixels import fresh_converter
        from ssl_domains.image_text.dual_encoder import image_size_of
        from ssl_domains.text.encoder import domain_normalizer

        if replace or encoder.normalizer is None:
            encoder.normalizer = domain_normalizer(domain)
        side, channels = image_size_of(encoder.backbone)
        if replace or "image_size" not in encoder.info:
            encoder.info["image_size"] = int(side or domain.image_size)
        encoder.info.setdefault("channels", int(channels))
        encoder.info["channels"] = int(channels)
        if encoder.converter is None:
            encoder.converter = fresh_converter(int(encoder.info["image_size"]))

    def check_encoder(self, encoder, source: str) -> None:
        from ssl_domains.image_text.dual_encoder import is_dual_encoder

        if not is_dual_encoder(encoder.backbone):
            kind = type(encoder.backbone).__name__
            raise UserError(f"{source} holds a {kind}, not an image-text dual encoder")
        if encoder.tokenizer is None:
            raise UserError(f"{source} has no tokenizer; the text tower needs one")

    # -- evaluation and serving -----------------------------------------------------

    def check_finetune(self, source: str, domain: str, plugins) -> None:
        """No task fine-tunes both towers; an image domain fine-tunes the image one
        (`ssl_domains.image.modality.image_side`)."""
        images = sorted(name for name, p in plugins.domains.items() if p.obj.modality == "image")
        raise UserError(
            f"{source} is a {domain} (image-text) model: finetune trains its image tower on "
            f"an image domain's labels; pass --domain {' or '.join(images)}"
        )

    def own_evaluation(self):
        from ssl_domains.image_text.zero_shot import evaluate_sources

        return evaluate_sources

    def embedding_task(self, encoder):
        raise UserError(
            "an image-text model is evaluated zero-shot and by retrieval: "
            "ssl-domains evaluate RUN --labels FILE"
        )

    def raw_features(self, encoder, data):
        """The pixels of each image as the image tower would see them, flattened."""
        from ssl_domains.image_text.towers import encoded_to_pixels

        encoded = [open(path, "rb").read() for path in data.columns["image"]]
        return encoded_to_pixels(encoder, encoded).reshape(len(data), -1)

    def signature(self):
        import tensorflow as tf

        return [
            tf.TensorSpec([None], tf.string, name="image_bytes"),
            tf.TensorSpec([None], tf.string, name="text"),
        ]

    def serving_inputs(self, records):
        from ssl_domains.image.reading import png_bytes

        return [png_bytes(image) for image, _ in records], [
            caption.decode("utf-8") for _, caption in records
        ]

    def predict_inputs(self, inputs: list[str]):
        from ssl_domains.image.modality import ImageModality

        return ImageModality().predict_inputs(inputs)

    def export_pretraining(self, source, out, plugins):
        """A pretraining run's SavedModel: `embed_image` and `embed_text`."""
        from ssl_domains.image_text.export import write_dual_embedding_model

        return write_dual_embedding_model(source, out, plugins)

    def inspect(self, domain, records, config, result, tokenizer_source="", extend=0) -> None:
        from ssl_domains.image.modality import ImageModality

        ImageModality().inspect(domain, records.map(lambda image, caption: image), config, result)
