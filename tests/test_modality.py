"""The modality objects: what the core does differently for text, audio and images, in one
place."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from ssl_domains.api import ImageDomain
from ssl_domains.errors import UserError
from ssl_domains.plugin.modality import column_modality, modality, signature_modality
from ssl_domains.presets.encoder import Encoder


def _example(serialized: bytes) -> dict:
    features = tf.train.Example.FromString(serialized).features.feature
    return {name: feature.WhichOneof("kind") for name, feature in features.items()}


def test_a_text_record_is_a_typed_example_and_decodes_back():
    text = modality("text")
    serialized = text.serialize("Revenue rose 12% to €4.2bn.")
    assert _example(serialized) == {"text": "bytes_list"}
    assert text.decode(tf.constant(serialized)).numpy().decode() == "Revenue rose 12% to €4.2bn."
    assert text.payload("é") == "é".encode()


def test_an_audio_record_keeps_its_samples_and_their_count():
    audio = modality("audio")
    wave = np.random.default_rng(0).uniform(-1, 1, 1234).astype("float32")
    serialized = audio.serialize(wave)
    assert _example(serialized) == {"waveform": "bytes_list", "samples": "int64_list"}
    features = tf.train.Example.FromString(serialized).features.feature
    assert features["samples"].int64_list.value == [1234]
    np.testing.assert_array_equal(audio.decode(tf.constant(serialized)).numpy(), wave)


@pytest.mark.parametrize("shape", [(20, 30, 3), (17, 9, 1)])
def test_an_image_record_is_png_with_its_shape_and_decodes_to_the_same_pixels(shape):
    image = modality("image")
    pixels = np.random.default_rng(0).integers(0, 256, shape).astype("uint8")
    serialized = image.serialize(pixels)
    kinds = {"image": "bytes_list", "height": "int64_list", "width": "int64_list"}
    assert _example(serialized) == {**kinds, "channels": "int64_list"}
    png = tf.train.Example.FromString(serialized).features.feature["image"].bytes_list.value[0]
    assert png.startswith(b"\x89PNG")
    np.testing.assert_array_equal(image.decode(tf.constant(serialized)).numpy(), pixels)


def test_an_image_encoder_is_built_for_the_domains_size_with_its_views():
    from ssl_domains.config import RunConfig
    from ssl_domains.image.backbones import build_image_backbone

    class Tiles(ImageDomain):
        name, image_size, channels = "tiles", 32, 1

    class Recipe:
        def build_backbone(self, size, image_size, channels):
            return build_image_backbone(size, image_size, channels)

    config = RunConfig()
    config.model.size = "vit-nano"
    encoder = modality("image").build_encoder(Tiles(), Recipe(), config, None, ())
    assert encoder.info["image_size"] == 32 and encoder.info["channels"] == 1
    assert tuple(encoder.backbone.input.shape[1:]) == (32, 32, 1)
    images = np.random.default_rng(0).uniform(0, 1, (2, 32, 32, 1)).astype("float32")
    assert encoder.views(images, training=True).shape == (2, 32, 32, 1)
    with pytest.raises(UserError, match="not an image backbone"):
        modality("image").check_encoder(Encoder(keras.Sequential()), "some-bert")


def test_every_planned_modality_has_its_object_and_a_word_that_is_none_fails_in_one_line():
    assert modality("image-text").name == "image-text"
    assert [spec.name for spec in modality("image-text").signature()] == ["image_bytes", "text"]
    with pytest.raises(UserError, match="'video' is not a modality"):
        modality("video")


def test_inputs_find_their_modality():
    assert signature_modality(["waveform"]).name == "audio"
    assert signature_modality(["text"]).name == "text"
    assert signature_modality(["image_bytes"]).name == "image"
    assert signature_modality(["text_a", "text_b"]) is None
    assert column_modality({"audio": "file"}).name == "audio"
    assert column_modality({"image": "file"}).name == "image"
    assert column_modality({"text": "body", "label": "y"}).name == "text"
    assert column_modality({"label": "y"}) is None


def test_the_default_task_is_the_modalitys():
    from ssl_domains.tasks import resolve_task

    assert resolve_task("", "audio") == modality("audio").default_task == "audio-classification"
    assert resolve_task("", "text") == "classification"
    assert resolve_task("", None) == "classification"


def test_an_encoder_keeps_its_keras_hub_image_converter(tmp_path):
    import keras
    import keras_hub

    from ssl_domains.presets.encoder import Encoder

    backbone = keras_hub.models.ViTBackbone(
        image_shape=(32, 32, 3), patch_size=8, num_layers=1, num_heads=2, hidden_dim=16, mlp_dim=32
    )
    converter = keras_hub.layers.ImageConverter(image_size=(32, 32), scale=1 / 255)
    Encoder(backbone, converter=converter, sequence_length=0).save(tmp_path / "preset")
    loaded = Encoder.load(str(tmp_path / "preset"))
    assert isinstance(loaded.converter, keras_hub.layers.ImageConverter)
    assert loaded.tokenizer is None
    image = np.random.default_rng(0).integers(0, 256, (1, 48, 40, 3)).astype("float32")
    outputs = [keras.ops.convert_to_numpy(c(image)) for c in (loaded.converter, converter)]
    assert outputs[0].shape == (1, 32, 32, 3)
    np.testing.assert_allclose(*outputs, atol=1e-6)
