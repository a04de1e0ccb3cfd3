"""`--precision`: a bf16 run keeps float32 variables and computes in bfloat16, exports a
float32 SavedModel that matches a float32 Keras model, and fp16 scales its loss."""

import math

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from ssl_domains.training.precision import set_precision, with_policy


@pytest.fixture(autouse=True)
def float32_afterwards():
    """The policy is global: leave other tests the float32 they expect."""
    yield
    set_precision("fp32")


@pytest.fixture(scope="module")
def bf16_run(tmp_path_factory, small_corpus):
    """A few bf16 MLM steps on the finance sample, in this process."""
    from rich.console import Console

    from ssl_domains.config import resolve_config
    from ssl_domains.pipelines.pretraining import pretrain
    from ssl_domains.plugin.registry import registry

    flags = {
        "run.domain": "finance",
        "run.recipe": "mlm",
        "run.precision": "bf16",
        "run.dir": str(tmp_path_factory.mktemp("bf16") / "run"),
        "data.corpus": [str(small_corpus)],
        "data.seq_len": 64,
        "train.steps": 4,
    }
    sets = ["model.size=nano", "train.batch_size=16", "train.log_every=1"]
    config = resolve_config(registry(), flags=flags, sets=sets)
    result = pretrain(config, console=Console(quiet=True), progress=False)
    policy = keras.config.dtype_policy().name
    set_precision("fp32")
    return result, policy


def test_a_bf16_run_keeps_float32_variables_and_computes_in_bfloat16(bf16_run):
    from ssl_domains.presets.encoder import Encoder

    result, policy = bf16_run
    assert policy == "mixed_bfloat16"
    losses = [row["loss"] for row in result.run.read_metrics() if "loss" in row]
    assert len(losses) == 4 and all(math.isfinite(loss) for loss in losses)
    # The trained model and its optimizer state were saved as float32 variables.
    with h5py.File(result.run.latest_checkpoint().weights) as saved:
        dtypes = set()
        saved.visititems(
            lambda _, item: dtypes.add(str(item.dtype)) if isinstance(item, h5py.Dataset) else None
        )
    assert "float32" in dtypes and not dtypes & {"bfloat16", "float16"}
    # Its preset (what --from loads) comes up in the policy of the run that loads it.
    set_precision("bf16")
    backbone = Encoder.load(str(result.run.preset)).backbone
    assert backbone.compute_dtype == "bfloat16"
    assert {v.dtype for v in backbone.weights} == {"float32"}
    outputs = backbone(token_batch())
    assert outputs["sequence_output"].dtype == "bfloat16"


def token_batch():
    return {
        "token_ids": np.ones((2, 8), "int32"),
        "segment_ids": np.zeros((2, 8), "int32"),
        "padding_mask": np.ones((2, 8), bool),
    }


def test_a_bf16_run_exports_a_float32_saved_model_matching_the_float32_keras_model(
    bf16_run, tmp_path
):
    from ssl_domains.export.saved_model import export

    result, _ = bf16_run
    set_precision("bf16")  # as if the export ran in the training process
    exported = export(result.run.path, "saved_model", tmp_path / "embedding")
    assert exported.max_difference <= 1e-5 and exported.samples == 8
    loaded = tf.saved_model.load(str(exported.path))
    assert {v.dtype for v in loaded.variables if v.dtype.is_floating} == {tf.float32}
    serving = loaded.signatures["serving_default"]
    graph = str(serving.graph.as_graph_def())  # with the functions it calls
    assert "DT_BFLOAT16" not in graph and "DT_HALF" not in graph
    assert serving(text=tf.constant(["Revenue rose."]))["embedding"].dtype == tf.float32


def test_a_saved_mixed_precision_model_is_copied_to_float32_with_its_weights(tmp_path):
    import keras_hub

    set_precision("bf16")
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=50, num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32
    )
    inputs = {
        name: keras.Input((None,), dtype=x.dtype, name=name) for name, x in token_batch().items()
    }
    pooled = keras.layers.GlobalAveragePooling1D()(backbone(inputs)["sequence_output"])
    keras.Model(inputs, keras.layers.Dense(3)(pooled)).save(tmp_path / "model.keras")
    set_precision("fp32")
    saved = keras.saving.load_model(tmp_path / "model.keras")  # records mixed_bfloat16
    assert saved.layers[-1].compute_dtype == "bfloat16"
    copy = with_policy(saved, "float32")
    assert {layer.compute_dtype for layer in copy._flatten_layers()} == {"float32"}
    batch = token_batch()
    assert copy(batch).dtype == "float32"
    np.testing.assert_allclose(copy(batch), saved(batch), atol=0.05)  # bfloat16's 3 digits
    assert with_policy(copy, "float32") is copy


def test_a_dual_encoder_preset_comes_up_in_the_loading_run_s_precision_towers_too(tmp_path):
    """keras-hub replaces a preset's own saved policy, not its towers': `Encoder.load` does."""
    import keras_hub

    from ssl_domains.image.backbones import build_image_backbone
    from ssl_domains.image_text.dual_encoder import DualEncoderBackbone
    from ssl_domains.presets.encoder import Encoder

    set_precision("bf16")
    text = keras_hub.models.BertBackbone(
        vocabulary_size=50, num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32
    )
    dual = DualEncoderBackbone(build_image_backbone("vit-nano", 32), text, projection_dim=8)
    Encoder(dual).save(tmp_path / "preset")
    for precision, compute in (("fp32", "float32"), ("bf16", "bfloat16")):
        set_precision(precision)
        loaded = Encoder.load(str(tmp_path / "preset")).backbone
        assert {layer.compute_dtype for layer in loaded._flatten_layers()} == {compute}
        for before, after in zip(dual.weights, loaded.weights, strict=True):
            np.testing.assert_array_equal(before.numpy(), after.numpy())


def test_fp16_compiles_with_loss_scaling_for_keras_hub_and_subclassed_models():
    import keras_hub
    from ssl_domains.recipes.mlm import MaskedLanguageModeling

    from ssl_domains.config import TrainSection
    from ssl_domains.presets.encoder import Encoder
    from ssl_domains.training.trainer import Trainer

    class Subclassed(keras.Model):  # as recipe models are: the policy comes from the global
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    set_precision("fp16")
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=50, num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32
    )
    recipe = MaskedLanguageModeling()
    optimizer = Trainer(None, TrainSection(learning_rate=1e-3)).optimizer
    masked_lm = recipe.build_model(Encoder(backbone, sequence_length=8))
    masked_lm.compile(optimizer=optimizer(10), **recipe.compile_args())
    subclassed = Subclassed()
    subclassed.compile(optimizer=optimizer(10), loss="mse")
    for model in (masked_lm, subclassed):
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert backbone.compute_dtype == "float16"
    x = {**token_batch(), "mask_positions": np.array([[1, 2], [3, 4]], "int32")}
    logs = masked_lm.train_on_batch(x, np.array([[5, 6], [7, 8]]), return_dict=True)
    assert math.isfinite(logs["loss"])


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_image_views_are_drawn_in_float32_under_mixed_precision(precision):
    from ssl_domains.image.views import multi_crop_views, standard_views

    set_precision(precision)  # reset after each test (the autouse fixture above)
    images = np.random.default_rng(0).random((2, 40, 40, 3)).astype("float32")
    # Keras's Gaussian blur has no float16 kernel on TensorFlow: this raised before.
    views = [standard_views(32)(images, training=True)]
    views += multi_crop_views(32, local_crops=1)(images, training=True)
    assert {keras.backend.standardize_dtype(view.dtype) for view in views} == {"float32"}
