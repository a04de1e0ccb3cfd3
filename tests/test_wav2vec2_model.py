"""Behaviour of the wav2vec 2.0 model (recipes/wav2vec2), on the `nano` size.

Runs on the Keras backend of the process (TensorFlow unless KERAS_BACKEND says
otherwise); the model uses keras.ops only, so the same tests hold on JAX and PyTorch.
"""

from __future__ import annotations

import keras
import keras_hub
import numpy as np
import pytest
from keras import ops
from ssl_domains.recipes.wav2vec2.backbone import Wav2Vec2Backbone
from ssl_domains.recipes.wav2vec2.feature_encoder import FeatureEncoder, feature_lengths
from ssl_domains.recipes.wav2vec2.losses import (
    contrastive_loss,
    diversity_loss,
    masked_mean,
    perplexity,
)
from ssl_domains.recipes.wav2vec2.masking import sample_negatives, sample_span_mask
from ssl_domains.recipes.wav2vec2.pretraining_model import Wav2Vec2Pretrainer
from ssl_domains.recipes.wav2vec2.quantizer import GumbelVectorQuantizer
from ssl_domains.recipes.wav2vec2.sizes import BACKBONE_SIZES, PRETRAINER_SIZES

SAMPLE_RATE = 16000


def numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def padded_batch(waveforms: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Right-pad waveforms of different lengths into the backbone's input dict."""
    longest = max(len(w) for w in waveforms)
    batch = {
        "waveform": np.zeros((len(waveforms), longest), "float32"),
        "padding_mask": np.zeros((len(waveforms), longest), bool),
    }
    for i, w in enumerate(waveforms):
        batch["waveform"][i, : len(w)] = w
        batch["padding_mask"][i, : len(w)] = True
    return batch


def pitched_notes(num_clips: int, seed: int = 0) -> dict[str, np.ndarray]:
    """One-second clips of notes (2 summed sinusoids each), a new pitch every 0.3-0.6 s.

    Pitches are multiples of 50 Hz, so every 20 ms frame of a note starts at the same
    phase and the note's frames look alike: masked frames are predictable from their
    note's unmasked neighbours, a structure a nano model finds in ~100 steps. Every
    other clip is cut to 0.75 s and padded.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    clips = []
    for i in range(num_clips):
        wave = np.zeros(SAMPLE_RATE)
        start = 0
        while start < SAMPLE_RATE:
            end = min(SAMPLE_RATE, start + 320 * int(rng.integers(15, 30)))
            for _ in range(2):
                pitch = 50 * rng.integers(2, 40)
                wave[start:end] += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * pitch * t[start:end])
            start = end
        clips.append(wave[: 12000 if i % 2 else SAMPLE_RATE].astype("float32"))
    return padded_batch(clips)


def runs(row: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True in a 1-D bool array."""
    edges = np.diff(np.concatenate([[0], row.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


# --- Feature encoder -----------------------------------------------------------------


@pytest.mark.parametrize("num_samples", [400, 401, 719, 720, 4000, 16000, 16321])
def test_feature_encoder_output_length_matches_feature_lengths(num_samples):
    encoder = FeatureEncoder(conv_dim=8)
    features, frame_mask = encoder(np.random.randn(1, num_samples).astype("float32"))
    assert features.shape == (1, feature_lengths(num_samples), 8)
    assert numpy(frame_mask).all()


def test_feature_lengths_gives_one_frame_per_20_ms_with_a_25_ms_receptive_field():
    assert feature_lengths(16000) == 49
    assert feature_lengths(400) == 1 and feature_lengths(399) == 0
    assert feature_lengths(400 + 320 * 10) == 11
    np.testing.assert_array_equal(feature_lengths(np.array([0, 400, 16000])), [0, 1, 49])


def test_frame_mask_marks_the_frames_of_each_padded_utterance():
    lengths = [16000, 12000, 5000, 300]
    batch = padded_batch([np.random.randn(n).astype("float32") for n in lengths])
    _, frame_mask = FeatureEncoder(conv_dim=8)(batch["waveform"], batch["padding_mask"])
    np.testing.assert_array_equal(numpy(frame_mask).sum(axis=1), [49, 37, 15, 0])


def test_padding_does_not_change_the_outputs_of_valid_frames():
    backbone = Wav2Vec2Backbone(**BACKBONE_SIZES["nano"])
    short = np.random.randn(9000).astype("float32")
    alone = backbone(padded_batch([short]))
    padded = backbone(padded_batch([short, np.random.randn(16000).astype("float32")]))
    frames = feature_lengths(9000)
    for key in ("sequence_output", "features"):
        np.testing.assert_allclose(
            numpy(padded[key])[0, :frames], numpy(alone[key])[0], atol=1e-4, rtol=1e-4
        )
    assert not numpy(padded["sequence_output"])[0, frames:].any()


# --- Masking -------------------------------------------------------------------------


def test_span_mask_covers_the_expected_share_of_frames():
    p, m = 0.065, 10
    mask = numpy(sample_span_mask(64, 1000, np.full(64, 1000), p, m, seed=0))
    assert mask.mean() == pytest.approx(1 - (1 - p) ** m, abs=0.02)


def test_span_mask_spans_last_at_least_mask_length_unless_cut_by_the_end():
    lengths = np.array([300, 250, 137, 64] * 8)
    mask = numpy(sample_span_mask(32, 300, lengths, 0.065, 10, seed=1))
    for row, length in zip(mask, lengths, strict=True):
        for start, end in runs(row):
            assert end - start >= 10 or end == length


def test_span_mask_never_masks_padding_and_always_masks_a_few_frames():
    lengths = np.array([200, 50, 12, 3, 0])
    mask = numpy(sample_span_mask(5, 200, lengths, mask_prob=0.001, seed=2))
    for row, length in zip(mask, lengths, strict=True):
        assert not row[length:].any()
        assert row.sum() >= min(2, length)


def test_distractors_are_other_masked_frames_of_the_same_utterance():
    mask = np.zeros((2, 120), bool)
    mask[0, 10:70] = True  # plenty: 59 others for K = 20
    mask[1, [5, 40, 41, 90]] = True  # too few: 3 others, drawn again
    indices, valid = sample_negatives(mask, num_negatives=20, seed=0)
    indices, valid = numpy(indices), numpy(valid)
    for b in range(2):
        for t in np.flatnonzero(mask[b]):
            assert valid[b, t].all()
            assert mask[b, indices[b, t]].all() and (indices[b, t] != t).all()
    assert len(set(indices[0, 30])) == 20  # without repetition when there are enough
    assert set(indices[1, 40]) == {5, 41, 90}


# --- Quantizer and losses ------------------------------------------------------------


def test_quantizer_gives_one_codebook_entry_per_group_at_inference():
    quantizer = GumbelVectorQuantizer(num_groups=2, num_vars=16, codevector_dim=32, seed=0)
    out = quantizer(np.random.randn(3, 20, 24).astype("float32"))
    assert out["quantized"].shape == (3, 20, 32)
    assert out["codes"].shape == (3, 20, 2)
    assert out["probs"].shape == (3, 20, 2, 16)
    codebook, codes = numpy(quantizer.codebook), numpy(out["codes"])
    expected = np.concatenate([codebook[0][codes[..., 0]], codebook[1][codes[..., 1]]], axis=-1)
    np.testing.assert_allclose(numpy(out["quantized"]), expected, rtol=1e-6, atol=1e-6)


def test_quantizer_is_hard_in_training_too_and_anneals_its_temperature():
    quantizer = GumbelVectorQuantizer(2, 16, 32, temperature_decay=0.5, seed=0)
    features = np.random.randn(3, 20, 24).astype("float32")
    for step in range(1, 5):
        out = quantizer(features, training=True)
        assert float(numpy(quantizer.temperature)) == pytest.approx(max(2.0 * 0.5**step, 0.5))
    codebook, codes = numpy(quantizer.codebook), numpy(out["codes"])
    expected = np.concatenate([codebook[0][codes[..., 0]], codebook[1][codes[..., 1]]], axis=-1)
    np.testing.assert_allclose(numpy(out["quantized"]), expected, rtol=1e-5, atol=1e-5)


def test_code_perplexity_is_one_per_group_at_collapse_and_a_fresh_quantizer_uses_most_codes():
    quantizer = GumbelVectorQuantizer(num_groups=2, num_vars=16, codevector_dim=32, seed=0)
    out = quantizer(np.random.randn(4, 50, 24).astype("float32"))
    usage = masked_mean(ops.one_hot(out["codes"], 16), np.ones((4, 50), bool))
    # 2 x 16 entries: 32 when all are used alike, 2 at collapse. A fresh quantizer on
    # random features measured 26.9 to 30.3 over 20 draws; 16 is 8x collapse.
    assert 16.0 < float(numpy(perplexity(usage))) <= 32.0
    assert float(numpy(perplexity(np.full((2, 16), 1 / 16)))) == pytest.approx(32.0, rel=1e-4)
    collapsed = np.eye(16)[[0, 0]]
    assert float(numpy(perplexity(collapsed))) == pytest.approx(2.0, rel=1e-4)


def test_diversity_loss_is_zero_for_uniform_codebook_use_and_high_for_collapse():
    assert float(numpy(diversity_loss(np.full((2, 16), 1 / 16)))) == pytest.approx(0, abs=1e-4)
    assert float(numpy(diversity_loss(np.eye(16)[[0, 0]]))) == pytest.approx(30 / 32, rel=1e-4)


def test_contrastive_loss_ignores_left_out_distractors_and_unmasked_frames():
    sims = np.array([[[0.9, 0.1, 0.9], [0.0, 1.0, 1.0]]], "float32")
    only_first = np.array([[True, False]])
    all_in = np.ones((1, 2, 2), bool)
    without_twin = np.array([[[True, False], [True, True]]])
    loss_with_twin = float(numpy(contrastive_loss(sims, only_first, all_in)))
    loss_without = float(numpy(contrastive_loss(sims, only_first, without_twin)))
    assert loss_without == pytest.approx(-np.log(1 / (1 + np.exp(-8))), rel=1e-4)
    assert loss_with_twin > loss_without


# --- Pretraining ---------------------------------------------------------------------


def test_pretraining_scores_true_targets_above_distractors_and_lowers_the_loss():
    keras.utils.set_random_seed(0)
    data = pitched_notes(64)
    backbone = Wav2Vec2Backbone(**BACKBONE_SIZES["nano"])
    model = Wav2Vec2Pretrainer(backbone, **PRETRAINER_SIZES["nano"], seed=0)
    model.compile(optimizer=keras.optimizers.Adam(5e-3))

    def mean_similarities():
        out = model(data, training=False)
        sims, mask = numpy(out["similarities"]), numpy(out["mask"])
        distractors = mask[..., None] & numpy(out["negative_mask"])
        return sims[..., 0][mask].mean(), sims[..., 1:][distractors].mean()

    before = model.evaluate(data, batch_size=16, return_dict=True, verbose=0)
    history = model.fit(data, batch_size=8, epochs=12, verbose=0).history
    after = model.evaluate(data, batch_size=16, return_dict=True, verbose=0)
    positive, distractor = mean_similarities()

    assert positive > distractor + 0.02
    assert after["loss"] < before["loss"]
    assert after["contrastive_loss"] < before["contrastive_loss"]
    assert set(history) >= {"loss", "contrastive_loss", "diversity_loss", "perplexity"}
    assert 2 <= history["perplexity"][-1] <= 2 * 16
    temperature = float(numpy(model.quantizer.temperature))
    assert temperature == pytest.approx(2 * 0.999995**96, rel=1e-6)  # one decay per step


# --- Presets -------------------------------------------------------------------------


def test_backbone_preset_round_trip_gives_identical_outputs(tmp_path):
    backbone = Wav2Vec2Backbone(**BACKBONE_SIZES["nano"])
    backbone.save_to_preset(str(tmp_path))
    restored = keras_hub.models.Backbone.from_preset(str(tmp_path))
    assert isinstance(restored, Wav2Vec2Backbone)
    assert restored.get_config() == backbone.get_config()
    batch = padded_batch([np.random.randn(n).astype("float32") for n in (16000, 7000)])
    expected, actual = backbone(batch), restored(batch)
    for key in expected:
        np.testing.assert_array_equal(numpy(actual[key]), numpy(expected[key]))


def test_pretrainer_saves_and_loads_with_its_annealed_temperature(tmp_path):
    backbone = Wav2Vec2Backbone(**BACKBONE_SIZES["nano"])
    model = Wav2Vec2Pretrainer(backbone, **PRETRAINER_SIZES["nano"], temperature_decay=0.9)
    batch = padded_batch([np.random.randn(8000).astype("float32")] * 2)
    model(batch, training=True)  # two training steps' worth of annealing
    model(batch, training=True)
    model.save(tmp_path / "pretrainer.keras")
    restored = keras.saving.load_model(tmp_path / "pretrainer.keras")
    assert isinstance(restored.backbone, Wav2Vec2Backbone)
    assert float(numpy(restored.quantizer.temperature)) == pytest.approx(2 * 0.9**2)
    for a, b in zip(model.weights, restored.weights, strict=True):
        np.testing.assert_array_equal(numpy(a), numpy(b))
