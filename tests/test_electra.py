"""ELECTRA: shared embeddings, corrupted inputs and their labels, training on each backend."""

import numpy as np
import pytest
import tensorflow as tf
from conftest import QUICK, metrics, run_cli
from ssl_domains.recipes.electra import Electra, ElectraConfig

from ssl_domains.errors import UserError
from ssl_domains.presets.encoder import Encoder
from ssl_domains.text.tokenizer import DomainTokenizer

SPECIAL = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"]
WORDS = [f"w{i}" for i in range(200)]
LENGTH = 32


def encoder(recipe: Electra) -> Encoder:
    tokenizer = DomainTokenizer(SPECIAL + WORDS)
    backbone = recipe.build_backbone(
        "nano", vocabulary_size=len(SPECIAL + WORDS), sequence_length=LENGTH
    )
    return Encoder(backbone, tokenizer, None, sequence_length=LENGTH)


def batches(recipe: Electra, enc: Encoder, documents: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    docs = [" ".join(rng.choice(WORDS[:40], size=LENGTH - 2)) for _ in range(documents)]
    records = tf.data.Dataset.from_tensor_slices(docs)
    return recipe.batches(records, enc, 16, training=False).as_numpy_iterator()


def batch(recipe: Electra, enc: Encoder):
    return next(batches(recipe, enc))


@pytest.fixture(scope="module")
def electra():
    import keras

    keras.utils.set_random_seed(0)
    recipe = Electra()
    enc = encoder(recipe)
    model = recipe.build_model(enc)
    x, y, weights = batch(recipe, enc)
    return recipe, enc, model, (x, y, weights)


def masked_slots(x):
    """(B, T) bool: the positions a real masking slot points at."""
    slots = np.zeros(x["token_ids"].shape, bool)
    for row, (positions, weights) in enumerate(
        zip(x["mask_positions"], x["mask_weights"], strict=True)
    ):
        slots[row, positions[weights > 0]] = True
    return slots


def test_generator_and_discriminator_share_the_same_embedding_variables(electra):
    _, enc, model, _ = electra
    backbone = enc.backbone
    assert model.generator_head.token_embedding is backbone.token_embedding
    shared = backbone.token_embedding.embeddings
    assert sum(v is shared for v in model.trainable_variables) == 1
    # The generator has no embedding table (or output matrix) of its own.
    assert not any(tuple(v.shape) == tuple(shared.shape) for v in model.head_variables())


def test_both_losses_put_gradients_on_the_shared_embeddings_and_none_flow_through_sampling():
    import keras

    keras.utils.set_random_seed(1)
    recipe = Electra()
    enc = encoder(recipe)
    model = recipe.build_model(enc)
    x, y, weights = batch(recipe, enc)
    backbone = enc.backbone
    shared = [backbone.token_embedding.embeddings, *backbone.position_embedding.weights]
    generator_only = model.generator_layers[0].trainable_variables
    discriminator_only = backbone.transformer_layers[0].trainable_variables

    with tf.GradientTape(persistent=True) as tape:
        terms = model.objective(x, y, model(x, training=True), weights)
    for name in ("generator_loss", "discriminator_loss"):
        for gradient in tape.gradient(terms[name], shared):
            assert gradient is not None and float(tf.norm(tf.convert_to_tensor(gradient))) > 0
    # The discriminator sees a sample: its loss cannot reach the generator, and the
    # generator's loss never passes through the discriminator.
    assert all(g is None for g in tape.gradient(terms["discriminator_loss"], generator_only))
    assert all(g is None for g in tape.gradient(terms["generator_loss"], discriminator_only))

    before = np.array(shared[0])
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    model.train_on_batch(x, y, sample_weight=weights)
    assert not np.allclose(before, np.array(shared[0]))


def test_sampling_never_changes_unmasked_positions(electra):
    _, _, model, (x, _, _) = electra
    out = {k: np.asarray(v) for k, v in model(x).items()}
    slots = masked_slots(x)
    np.testing.assert_array_equal(out["corrupted_ids"][~slots], x["token_ids"][~slots])
    for row in range(len(slots)):
        real = x["mask_weights"][row] > 0
        positions = x["mask_positions"][row][real]
        np.testing.assert_array_equal(
            out["corrupted_ids"][row, positions], out["sampled_ids"][row][real]
        )


def test_discriminator_labels_are_one_exactly_where_the_corrupted_token_differs(electra):
    _, _, model, (x, y, _) = electra
    out = {k: np.asarray(v) for k, v in model(x).items()}
    original = x["token_ids"].copy()
    for row, (positions, weights) in enumerate(
        zip(x["mask_positions"], x["mask_weights"], strict=True)
    ):
        original[row, positions[weights > 0]] = y[row][weights > 0]
    expected = (out["corrupted_ids"] != original) & x["padding_mask"]
    labels = np.asarray(model.discriminator_labels(x, y, out))
    np.testing.assert_array_equal(labels, expected)
    assert 0 < labels.sum() <= masked_slots(x).sum()

    # A sample equal to the original token counts as original.
    unchanged = np.asarray(model.corrupt(x["token_ids"], x["mask_positions"], x["mask_weights"], y))
    np.testing.assert_array_equal(unchanged, original)
    assert not np.asarray(model.discriminator_labels(x, y, {"corrupted_ids": unchanged})).any()


def test_generator_inputs_mask_eighty_five_percent_and_keep_the_rest():
    recipe = Electra(ElectraConfig(mask_rate=0.5))
    enc = encoder(recipe)
    masked = kept = 0
    for x, y, weights in batches(recipe, enc, documents=64):
        for row in range(len(y)):
            real = weights[row] > 0
            shown = x["token_ids"][row, x["mask_positions"][row][real]]
            masked += int((shown == SPECIAL.index("[MASK]")).sum())
            kept += int((shown == y[row][real]).sum())
    assert masked + kept > 800  # the rest are neither: no random replacements
    assert masked / (masked + kept) == pytest.approx(0.85, abs=0.05)


def test_evaluation_sets_the_discriminator_next_to_its_trivial_baselines(electra):
    recipe, enc, model, _ = electra
    rng = np.random.default_rng(5)
    docs = [" ".join(rng.choice(WORDS[:40], size=LENGTH - 2)) for _ in range(40)]
    held_out = recipe.batches(tf.data.Dataset.from_tensor_slices(docs), enc, 16, training=False)
    scores = recipe.evaluate(model, held_out, enc)
    rate = scores["replaced_fraction"]
    assert 0.05 < rate < 0.2
    assert scores["all_original_accuracy"] == pytest.approx(1 - rate)
    assert scores["base_rate_loss"] == pytest.approx(
        -rate * np.log(rate) - (1 - rate) * np.log1p(-rate)
    )
    # Untrained, the generator spreads its guesses over the vocabulary and the
    # discriminator says 50:50, so their losses sit at ln(V) and ln(2): measured within
    # 0.03 and 0.002 of them, generator accuracy 0 to 2/V, over seeds 0 to 2.
    vocabulary = len(SPECIAL + WORDS)
    assert scores["generator_loss"] == pytest.approx(np.log(vocabulary), abs=0.1)
    assert scores["generator_accuracy"] < 5 / vocabulary
    assert scores["discriminator_loss"] == pytest.approx(np.log(2), abs=0.01)
    for label, (metric, baseline) in recipe.comparisons.items():
        assert metric in scores and baseline in scores, label


def test_continuing_from_an_electra_preset_restores_its_generator(electra, tmp_path):
    recipe, enc, model, _ = electra
    recipe.save(model, enc, tmp_path / "preset")
    assert (tmp_path / "preset" / "electra" / "heads.weights.npz").is_file()
    again = Electra().build_model(Encoder.load(str(tmp_path / "preset")), str(tmp_path / "preset"))
    for saved, restored in zip(model.head_variables(), again.head_variables(), strict=True):
        np.testing.assert_array_equal(np.asarray(saved), np.asarray(restored))


def test_a_checkpoint_restores_both_networks_before_any_call(electra, tmp_path):
    recipe, enc, model, _ = electra
    model.save_weights(str(tmp_path / "step.weights.h5"))
    fresh = recipe.build_model(encoder(recipe))  # as `--resume` does: load, then train
    fresh.load_weights(str(tmp_path / "step.weights.h5"))
    for saved, loaded in zip(model.weights, fresh.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(saved), np.asarray(loaded))


def test_a_bert_backbone_can_be_the_discriminator():
    import keras_hub

    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=len(SPECIAL + WORDS),
        num_layers=1,
        num_heads=2,
        hidden_dim=32,
        intermediate_dim=64,
        max_sequence_length=LENGTH,
    )
    recipe = Electra()
    enc = Encoder(backbone, DomainTokenizer(SPECIAL + WORDS), None, LENGTH)
    model = recipe.build_model(enc)
    assert model.generator_hidden_dim == 8
    x, y, weights = batch(recipe, enc)
    terms = model.objective(x, y, model(x, training=True), weights)
    assert np.isfinite(float(terms["loss"])) and float(terms["generator_loss"]) > 0


def test_a_backbone_without_shareable_embeddings_is_refused_in_one_line():
    import keras_hub

    backbone = keras_hub.models.RobertaBackbone(
        vocabulary_size=50,
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=LENGTH,
    )
    with pytest.raises(UserError, match="needs an ELECTRA or BERT backbone") as error:
        Electra().build_model(Encoder(backbone, None, None, LENGTH))
    assert "\n" not in str(error.value)


def test_config_rejects_a_generator_larger_than_the_discriminator():
    with pytest.raises(UserError, match="generator_size_ratio"):
        ElectraConfig(generator_size_ratio=1.5).validate()


def test_electra_trains_on_each_backend_and_its_discriminator_beats_the_base_rate(
    tmp_path, small_corpus, backend
):
    run = tmp_path / "run"
    result = run_cli(
        "pretrain",
        "--domain",
        "finance",
        "--recipe",
        "electra",
        "--corpus",
        str(small_corpus),
        "--run-dir",
        str(run),
        *QUICK,
        "--steps",
        "40",
        "--set",
        "train.learning_rate=3e-3",
        backend=backend,
    )
    assert result.returncode == 0, result.output
    logged = metrics(run)
    losses = [m["loss"] for m in logged if "loss" in m]
    assert losses[-1] < losses[0] - 2, losses
    final = next(m for m in logged if m.get("final"))
    # Held out, the discriminator's scores beat the best constant guess (the base rate
    # of replaced tokens), and it is never worse than calling every token original.
    # (In 40 nano steps it is not yet sure enough of any token to flag it: accuracy
    # above "all original" takes a few hundred steps of a larger model.)
    assert final["discriminator_loss"] < final["base_rate_loss"] - 0.01, final
    assert final["discriminator_accuracy"] >= final["all_original_accuracy"] - 0.002, final
    assert 0.1 < final["replaced_fraction"] < 0.16, final
    vocabulary = (run / "preset" / "assets" / "tokenizer" / "vocabulary.txt").read_text()
    assert final["generator_loss"] < np.log(len(vocabulary.splitlines())) - 0.3, final
    assert (run / "preset" / "electra" / "heads.json").is_file()
    assert "discriminator accuracy" in result.stdout
