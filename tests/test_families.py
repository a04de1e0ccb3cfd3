"""Continued MLM from Hugging Face checkpoints of each family keras-hub converts.

Each family's checkpoint is a tiny one written by `hf_families` (config.json,
model.safetensors and the family's own tokenizer files), so nothing is downloaded.
"""

import math
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from conftest import metrics
from hf_families import FAMILIES, corpus_lines, save_family

from ssl_domains.errors import UserError
from ssl_domains.presets.encoder import Encoder
from ssl_domains.presets.families import FAMILIES as LISTED
from ssl_domains.presets.families import hugging_face_family, tokenizer_kind, word_start

KINDS = {
    "bert": ("wordpiece", "continuation_prefix:##"),
    "distilbert": ("wordpiece", "continuation_prefix:##"),
    "roberta": ("byte_bpe", "start_prefix:\u0120"),
    "xlm-roberta": ("sentencepiece", "start_prefix:\u2581"),
    "albert": ("sentencepiece", "start_prefix:\u2581"),
}
# Each masking mode on some family; DistilBERT also extends its WordPiece vocabulary.
SETS = {
    "bert": ["recipe.masking=span"],
    "distilbert": ["recipe.masking=token", "model.extend_vocabulary=20"],
    "roberta": ["recipe.masking=whole_word"],
    "xlm-roberta": ["recipe.masking=whole_word"],
    "albert": ["recipe.masking=span"],
}
EXTENDED = {"distilbert"}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """One tiny Hugging Face checkpoint per family, and the Keras model it came from."""
    root = tmp_path_factory.mktemp("hf")
    return {family: (root / family, save_family(family, root / family)) for family in FAMILIES}


@pytest.fixture(scope="module")
def small_corpus_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "finance.txt"
    path.write_text("\n".join(corpus_lines(150)) + "\n")
    return path


def run_pretraining(run_dir, source, corpus, *sets):
    from ssl_domains.config import resolve_config
    from ssl_domains.pipelines.pretraining import pretrain
    from ssl_domains.plugin.registry import registry

    flags = {
        "run.domain": "finance",
        "run.dir": str(run_dir),
        "model.source": str(source),
        "data.corpus": [str(corpus)],
        "data.seq_len": 32,
        "data.near_duplicates": False,
        "train.steps": 3,
        "train.batch_size": 4,
        "train.log_every": 1,
    }
    config = resolve_config(registry(), flags=flags, sets=["recipe.validation_batches=2", *sets])
    return pretrain(config, progress=False)


def test_every_listed_family_is_converted_by_keras_hub_and_has_a_masked_lm_task():
    import keras_hub
    from keras_hub.src.utils.transformers.preset_loader import TransformersPresetLoader

    assert [f.model_type for f in LISTED] == list(FAMILIES)
    table = (Path(__file__).parents[1] / "docs" / "model-families.md").read_text()
    for family in LISTED:
        loader = TransformersPresetLoader(".", {"model_type": family.model_type})
        backbone_cls = loader.check_backbone_class()
        task = getattr(keras_hub.models, family.masked_lm)
        assert task.backbone_cls is backbone_cls
        assert f"`{family.model_type}`" in table and family.masked_lm in table


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_loads_with_its_own_tokenizer_kind_and_word_starts(checkpoints, family):
    directory, original = checkpoints[family]
    encoder = Encoder.load(str(directory), sequence_length=32)
    assert type(encoder.backbone) is type(original.backbone)
    assert hugging_face_family(directory).model_type == family
    assert (tokenizer_kind(encoder.tokenizer), word_start(encoder.tokenizer)) == KINDS[family]
    for converted, written in zip(encoder.backbone.weights, original.backbone.weights, strict=True):
        np.testing.assert_allclose(np.asarray(converted), np.asarray(written), atol=1e-6)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_masked_lm_head_of_a_hugging_face_checkpoint_carries_over(checkpoints, family):
    from ssl_domains.recipes.mlm import MaskedLanguageModeling

    directory, original = checkpoints[family]
    encoder = Encoder.load(str(directory), sequence_length=32)
    model = MaskedLanguageModeling().build_model(encoder, source=str(directory))
    assert type(model) is type(original)
    inputs = {
        "token_ids": np.arange(5, 37).reshape(2, 16),
        "padding_mask": np.ones((2, 16), "int32"),
        "segment_ids": np.zeros((2, 16), "int32"),
    }
    inputs = {k: v for k, v in inputs.items() if k in encoder.backbone.input}
    inputs["mask_positions"] = np.array([[1, 4, 7], [2, 3, 9]])
    np.testing.assert_allclose(model(inputs), original(inputs), atol=1e-4)


def test_a_checkpoint_without_a_masked_lm_head_starts_a_fresh_one(tmp_path):
    from ssl_domains.recipes.mlm import MaskedLanguageModeling

    original = save_family("roberta", tmp_path / "bare", head=False)
    encoder = Encoder.load(str(tmp_path / "bare"), sequence_length=32)
    model = MaskedLanguageModeling().build_model(encoder, source=str(tmp_path / "bare"))
    fresh = model.get_layer("mlm_head")._intermediate_dense.kernel
    written = original.get_layer("mlm_head")._intermediate_dense.kernel
    assert not np.allclose(np.asarray(fresh), np.asarray(written))


@pytest.mark.parametrize("family", FAMILIES)
def test_mlm_continues_from_a_hugging_face_checkpoint_of_each_family(
    tmp_path, checkpoints, small_corpus_file, family
):
    import keras_hub

    directory, original = checkpoints[family]
    result = run_pretraining(tmp_path / "run", directory, small_corpus_file, *SETS[family])
    losses = [m["loss"] for m in metrics(result.run.path) if "loss" in m and "final" not in m]
    assert len(losses) == 3 and all(math.isfinite(x) and x > 0 for x in losses), losses

    # The run starts from the checkpoint's weights (old rows of a grown vocabulary).
    init = keras_hub.models.Backbone.from_preset(str(result.run.path / "init"))
    for before, after in zip(original.backbone.weights, init.weights, strict=True):
        before, after = np.asarray(before), np.asarray(after)
        np.testing.assert_allclose(after[: len(before)], before, atol=1e-6)
    if family in EXTENDED:
        old, new = original.backbone.vocabulary_size, init.vocabulary_size
        assert old < new <= old + 20

    preset = result.run.path / "preset"
    task = keras_hub.models.MaskedLM.from_preset(str(preset))
    assert type(task) is type(original)
    reloaded = Encoder.load(str(result.run.path))
    assert type(reloaded.tokenizer) is type(task.preprocessor.tokenizer)
    assert reloaded.sequence_length == 32
    text = tf.constant(["Cobaltine stock gained 1.9% after the announcement."])
    assert task.preprocessor(text)[0]["token_ids"].shape == (1, 32)


@pytest.mark.parametrize("family", ["roberta", "xlm-roberta", "albert"])
def test_vocabulary_extension_refuses_sentencepiece_and_byte_level_bpe_in_one_line(
    checkpoints, family
):
    from ssl_domains.plugin.registry import registry
    from ssl_domains.text.encoder import domain_normalizer, extended_tokenizer

    directory, _ = checkpoints[family]
    encoder = Encoder.load(str(directory), sequence_length=32)
    domain = registry().domain("finance")(None)
    records = tf.data.Dataset.from_tensor_slices(corpus_lines(20))
    with pytest.raises(UserError) as error:
        extended_tokenizer(encoder.tokenizer, domain, records, domain_normalizer(domain), 20)
    message = str(error.value)
    assert "\n" not in message
    assert "WordPiece families (BERT, DistilBERT)" in message
    assert type(encoder.tokenizer).__name__ in message
    assert {"roberta": "byte-level BPE"}.get(family, "SentencePiece") in message


def test_a_hugging_face_family_without_a_masked_lm_task_is_a_user_error(tmp_path):
    import keras_hub
    from ssl_domains.recipes.mlm import masked_lm_class

    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=10, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16
    )
    with pytest.raises(UserError, match="keras-hub has none for GPT2Backbone.*RoBERTa"):
        masked_lm_class(backbone)


def test_a_hugging_face_checkpoint_missing_its_tokenizer_files_says_which_it_needs(
    tmp_path, checkpoints
):
    import shutil

    directory, _ = checkpoints["albert"]
    copy = tmp_path / "albert"
    shutil.copytree(directory, copy)
    (copy / "spiece.model").unlink()
    with pytest.raises(UserError, match="ALBERT tokenizer .* spiece.model"):
        Encoder.load(str(copy))


def test_a_hugging_face_family_keras_hub_does_not_convert_names_the_supported_ones(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "electra", "vocab_size": 10}')
    with pytest.raises(UserError, match="'electra'.*pretrains BERT, DistilBERT, RoBERTa"):
        Encoder.load(str(tmp_path))
