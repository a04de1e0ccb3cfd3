"""Packing documents into full training sequences, and what a run reports of it."""

import numpy as np
import tensorflow as tf
from conftest import QUICK, metrics, run_cli

from ssl_domains.data.padding import padding_share
from ssl_domains.text.packing import pack_tokens


def packed(documents, length, separator=9, batch=2):
    ragged = tf.data.Dataset.from_tensor_slices(tf.ragged.constant(documents, tf.int64))
    return [row.numpy().tolist() for row in pack_tokens(ragged.batch(batch), length, separator)]


def test_documents_are_packed_in_order_with_a_separator_after_each():
    rows = packed([[1, 2, 3], [4, 5], [6, 7, 8, 10, 11, 12, 13]], 4)
    assert rows == [[1, 2, 3, 9], [4, 5, 9, 6], [7, 8, 10, 11], [12, 13, 9]]


def test_a_corpus_shorter_than_one_sequence_still_makes_one_row():
    assert packed([[1, 2]], 8) == [[1, 2, 9]]


def test_packed_mlm_batches_of_real_sentences_have_almost_no_padding():
    from ssl_domains.plugins.finance import FinanceDomain
    from ssl_domains.recipes.mlm import MaskedLanguageModeling

    from ssl_domains.presets.encoder import Encoder
    from ssl_domains.text.tokenizer import DomainTokenizer
    from ssl_domains.text.vocabulary import RESERVED

    (corpus,) = FinanceDomain().sample_corpus()
    lines = corpus.read_text().splitlines()[:200]  # documents of 20-150 words each
    words = sorted({w for line in lines for w in line.lower().split()})
    tokenizer = DomainTokenizer(RESERVED + words, lowercase=True)
    recipe = MaskedLanguageModeling()
    backbone = recipe.build_backbone("nano", vocabulary_size=len(RESERVED) + len(words))
    encoder = Encoder(backbone, tokenizer, sequence_length=128)
    records = tf.data.Dataset.from_tensor_slices(lines)
    batches = recipe.batches(records, encoder, 16, training=True)
    assert padding_share(batches, max_batches=100) < 0.01
    x, _, weights = next(iter(batches))
    ids = np.asarray(x["token_ids"])
    assert ids.shape == (16, 128) and (ids[:, 0] == tokenizer.cls_token_id).all()
    separators = (ids[:, 1:-1] == tokenizer.sep_token_id).sum()
    assert separators >= 8  # document boundaries inside sequences: short documents share rows
    assert np.asarray(weights).sum() > 0.1 * ids.size


def test_a_one_document_corpus_pretrains_and_reports_its_split_and_padding(tmp_path):
    from ssl_domains.plugins.finance import FinanceDomain

    (sample,) = FinanceDomain().sample_corpus()
    corpus = tmp_path / "one.txt"
    corpus.write_text(" ".join(sample.read_text().splitlines()[:5]) + "\n")
    run = tmp_path / "run"
    result = run_cli(
        "pretrain", "--domain", "finance", "--corpus", str(corpus), "--steps", "4",
        "--run-dir", str(run), *QUICK, "--set", "train.checkpoint_every=2",
    )  # fmt: skip
    assert result.returncode == 0, result.output
    assert "one document: held out its last 5% for validation" in " ".join(result.output.split())
    final = next(m for m in metrics(run) if m.get("final"))
    assert final["padding_share"] < 0.05 and np.isfinite(final["masked_loss"])
