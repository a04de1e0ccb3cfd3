"""Masked language modeling, as in BERT.

Paper: Devlin et al., 2019, "BERT: Pre-training of Deep Bidirectional Transformers
for Language Understanding", arXiv:1810.04805.

Follows the paper: 15% of tokens are selected, of which 80% become `[MASK]`, 10% a
random token and 10% stay; the loss is cross-entropy on the selected tokens only.
Masks are drawn afresh each time a sequence is seen (dynamic masking, as RoBERTa
showed is at least as good as BERT's static masks). Options: whole-word masking
and span masking (see `masking.py`).

Departures: no next-sentence prediction (RoBERTa, Liu et al., 2019, found it does
not help). Documents are packed as RoBERTa's FULL-SENTENCES inputs are: one stream,
a separator after each document, cut every `seq_len` tokens, so a sequence may cross
a document boundary and almost no position is padding (`ssl_domains.text.packing.pack_tokens`).

The model is keras-hub's masked-LM task for the backbone (`BertMaskedLM` for BERT,
`RobertaMaskedLM` for RoBERTa, ...), so any keras-hub text preset that has one
works with `--from`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ssl_domains.api import Recipe

# BERT sizes of Turc et al., 2019 ("Well-Read Students Learn Better"), plus `nano`
# for tests and smoke runs.
BERT_SIZES = {
    "nano": dict(num_layers=1, num_heads=2, hidden_dim=64, intermediate_dim=128),
    "tiny": dict(num_layers=2, num_heads=2, hidden_dim=128, intermediate_dim=512),
    "small": dict(num_layers=4, num_heads=8, hidden_dim=512, intermediate_dim=2048),
    "base": dict(num_layers=12, num_heads=12, hidden_dim=768, intermediate_dim=3072),
}
MASKING_MODES = ("token", "whole_word", "span")
PACKING_MODES = ("stream", "none")


@dataclass
class MLMConfig:
    """Hyperparameters of `mlm` (the `[recipe]` config section)."""

    mask_rate: float = 0.15
    mask_token_rate: float = 0.8
    random_token_rate: float = 0.1
    masking: str = "token"
    mean_span_words: float = 3.0
    packing: str = "stream"
    validation_batches: int = 50
    dropout: float = 0.1  # of a fresh backbone; a preset `--from` keeps its own

    def validate(self) -> None:
        from ssl_domains.api import UserError

        if self.packing not in PACKING_MODES:
            raise UserError(f"recipe.packing must be one of {', '.join(PACKING_MODES)}")
        if self.masking not in MASKING_MODES:
            raise UserError(f"recipe.masking must be one of {', '.join(MASKING_MODES)}")
        if not 0 < self.mask_rate < 1 or self.mask_token_rate + self.random_token_rate > 1:
            raise UserError("recipe: need 0 < mask_rate < 1 and mask+random token rates <= 1")


class MaskedLanguageModeling(Recipe):
    """Masked language modeling on a keras-hub text backbone.

    Examples:

    ```python
    from ssl_domains.recipes.mlm import MaskedLanguageModeling, MLMConfig

    recipe = MaskedLanguageModeling(MLMConfig(masking="whole_word"))
    backbone = recipe.build_backbone("tiny", vocabulary_size=8000, sequence_length=128)
    ```

    From the command line: `ssl-domains pretrain --domain finance --recipe mlm`.
    """

    name = "mlm"
    description = "Masked language modeling (BERT): recover 15% masked tokens."
    paper = "Devlin et al., 2019, arXiv:1810.04805"
    modalities = ("text",)
    sizes = BERT_SIZES
    Config = MLMConfig
    comparisons = {
        "masked-token accuracy": ("masked_accuracy", "unigram_accuracy"),
        "masked-token loss (nats)": ("masked_loss", "unigram_loss"),
    }

    def build_backbone(self, size: str, **dims: Any):
        import keras_hub

        vocabulary_size = dims["vocabulary_size"]
        return keras_hub.models.BertBackbone(
            vocabulary_size=vocabulary_size,
            max_sequence_length=max(512, dims.get("sequence_length", 0)),
            dropout=self.config.dropout,
            **self.sizes[size],
        )

    def build_model(self, encoder, source=None):
        task_cls = masked_lm_class(encoder.backbone)
        model = task_cls(backbone=encoder.backbone, preprocessor=None)
        for layer in encoder.backbone.layers:
            if layer.name == "pooled_dense":
                layer.trainable = False  # feeds no MLM output; fine-tuning trains it
        self.fresh_head = source is not None and not _restore_head(model, source)
        return model

    def default_learning_rate(self, backbone, pretrained: bool = False) -> float:
        """Peak learning rates at the default batch of 32 sequences.

        Fresh: 1e-3 up to width 512, 1e-4 at BERT-base (BERT's own pretraining rate,
        Devlin et al. 2019; compact BERTs take larger steps). A domain may ask for more
        for its fresh model: finance's tiny default learns faster at 3e-3, while on the
        code sample 3e-3 collapses to predicting the most frequent token.

        Pretrained: 1e-4 up to width 512, 5e-5 above. Continued pretraining in
        Gururangan et al. 2020 ("Don't Stop Pretraining") peaks at 5e-4 with batches
        of 2048 (DAPT) and 1e-4 with 256 (TAPT); Adam's square-root rule for batch size
        puts those at 6e-5 and 3.5e-5 for 32 sequences. Smaller models tolerate twice
        that (measured with `benchmarks/dapt.py` on all-MiniLM-L6-v2, width 384).
        """
        width = getattr(backbone, "hidden_dim", 768)
        if pretrained:
            return 1e-4 if width <= 512 else 5e-5
        return 1e-3 if width <= 512 else 1e-4

    def compile_args(self) -> dict[str, Any]:
        import keras

        return dict(
            # Mean over the masked tokens only, not over the padded selection slots.
            loss=keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, reduction="mean_with_sample_weight"
            ),
            weighted_metrics=[keras.metrics.SparseCategoricalAccuracy("accuracy")],
        )

    def _selections(self, encoder) -> int:
        """Slots for masked tokens per sequence: room above the expected count."""
        headroom = 1.5 if self.config.masking == "token" else 3.0
        return math.ceil(encoder.sequence_length * self.config.mask_rate * headroom)

    def preprocessor(self, encoder):
        """keras-hub's masked-LM preprocessor for this backbone (tokenizer, packer, masker)."""
        cfg = self.config
        preprocessor = masked_lm_class(encoder.backbone).preprocessor_cls(
            tokenizer=encoder.tokenizer,
            sequence_length=encoder.sequence_length,
            mask_selection_rate=cfg.mask_rate,
            mask_selection_length=self._selections(encoder),
            mask_token_rate=cfg.mask_token_rate,
            random_token_rate=cfg.random_token_rate,
        )
        preprocessor.build(None)
        return preprocessor

    def masker(self, encoder, preprocessor):
        """keras-hub's token masker, or ours for whole words and spans.

        Where words start follows from the tokenizer's kind (WordPiece `##`,
        SentencePiece `▁`, byte-level BPE `Ġ`); any other kind is a UserError.
        """
        from ssl_domains.recipes.masking import WordMaskGenerator

        from ssl_domains.api import vocabulary, word_start

        cfg, tokenizer = self.config, encoder.tokenizer
        if cfg.masking == "token":
            return preprocessor.masker
        rule = word_start(tokenizer)  # first: a UserError for a tokenizer without words
        # XLM-RoBERTa's special_token_ids leave out <mask>; never mask a mask.
        unselectable = sorted({*tokenizer.special_token_ids, tokenizer.mask_token_id})
        return WordMaskGenerator(
            vocabulary(tokenizer),
            mask_selection_rate=cfg.mask_rate,
            mask_selection_length=self._selections(encoder),
            mask_token_id=tokenizer.mask_token_id,
            unselectable_token_ids=unselectable,
            mask_token_rate=cfg.mask_token_rate,
            random_token_rate=cfg.random_token_rate,
            mode=cfg.masking,
            mean_span_words=cfg.mean_span_words,
            word_start=rule,
            pad_token_id=tokenizer.pad_token_id,
        )

    def rows(self, records, encoder, preprocessor=None):
        """The records' tokens in rows of at most `seq_len - 2` (room for the start and
        end tokens the packer adds), in order: one pass over the corpus.

        `packing = "stream"` packs all records into one stream; `"none"` cuts each record
        on its own, so every record starts a row and short ones are padded (for corpora
        of independent short records, at the cost of padding).
        """
        import tensorflow as tf

        from ssl_domains.api import chunk_tokens, pack_tokens

        preprocessor = preprocessor or self.preprocessor(encoder)
        tokenizer, packer = preprocessor.tokenizer, preprocessor.packer

        def tokenize(texts):
            return tokenizer(encoder.normalize(texts))

        documents = records.batch(256).map(tokenize, num_parallel_calls=tf.data.AUTOTUNE)
        body = encoder.sequence_length - 2
        if self.config.packing == "none":
            return documents.map(lambda tokens: chunk_tokens(tokens, body)).unbatch()
        return pack_tokens(documents, body, packer.end_value)

    def epoch_steps(self, records, encoder, batch_size):
        return max(1, math.ceil(sum(1 for _ in self.rows(records, encoder)) / batch_size))

    def batches(self, records, encoder, batch_size, training, seed=0):
        import tensorflow as tf

        preprocessor = self.preprocessor(encoder)
        tokenizer, packer = preprocessor.tokenizer, preprocessor.packer
        masker = self.masker(encoder, preprocessor)
        inputs = set(encoder.backbone.input)

        from ssl_domains.recipes.masking import seeded_masks

        def pack_and_mask(index, tokens):
            token_ids, segment_ids = packer((tokens,))
            # The batch's own seed: its masks do not depend on which thread or which
            # process (a resumed run) builds it.
            masked = seeded_masks(masker, token_ids, tf.stack([tf.cast(seed, tf.int64), index]))
            x = {
                "token_ids": masked["token_ids"],
                # int32, the backbone's input dtype (Keras's tf.distribute build
                # averages a sample batch across replicas, which bools cannot do).
                "padding_mask": tf.cast(token_ids != tokenizer.pad_token_id, "int32"),
                "segment_ids": segment_ids,
                "mask_positions": masked["mask_positions"],
            }
            x = {k: v for k, v in x.items() if k in inputs or k == "mask_positions"}
            return x, masked["mask_ids"], masked["mask_weights"]

        chunks = self.rows(records, encoder, preprocessor)
        if training:
            # Endless: a corpus smaller than a batch still fills every batch (its rows
            # recur), no epoch drops its last rows, and shapes stay static.
            chunks = chunks.repeat().shuffle(2048, seed=seed)
        batches = chunks.ragged_batch(batch_size, drop_remainder=training)
        batches = batches.enumerate().map(pack_and_mask, num_parallel_calls=tf.data.AUTOTUNE)
        if not training:
            # Fixed masks, so every evaluation scores the same held-out tokens; a
            # known length, so Keras knows where an evaluation ends.
            batches = batches.take(self.config.validation_batches).cache()
            count = sum(1 for _ in batches)
            batches = batches.apply(tf.data.experimental.assert_cardinality(count))
        return batches.prefetch(tf.data.AUTOTUNE)

    def units(self, encoder, batch_size):
        return ("tokens", float(batch_size * encoder.sequence_length))

    def evaluate(self, model, batches, encoder, train_records=None):
        """Masked-token accuracy and loss on held-out batches, next to a unigram model's.

        The unigram baseline counts tokens in the training records: it always
        predicts the most frequent token, and scores each held-out target with its
        corpus frequency.
        """
        import numpy as np

        from ssl_domains.api import unigram_counts

        unigram = unigram_counts(train_records, encoder) if train_records is not None else None
        scores = model.evaluate(batches, return_dict=True, verbose=0)
        result = {"masked_accuracy": scores["accuracy"], "masked_loss": scores["loss"]}
        if unigram is not None:
            probs = unigram / unigram.sum()
            top = int(np.argmax(unigram))
            hits = nll = total = 0.0
            for _, targets, weights in batches.as_numpy_iterator():
                hits += float(((targets == top) * weights).sum())
                nll -= float((np.log(probs[targets] + 1e-12) * weights).sum())
                total += float(weights.sum())
            result["unigram_accuracy"] = hits / max(total, 1.0)
            result["unigram_loss"] = nll / max(total, 1.0)
        return result

    def save(self, model, encoder, preset_dir):
        from ssl_domains.api import without_optimizer

        model.preprocessor = self.preprocessor(encoder)
        try:
            with without_optimizer(model):
                model.save_to_preset(str(preset_dir))
        finally:
            model.preprocessor = None
        encoder.save(preset_dir)


def masked_lm_class(backbone):
    """keras-hub's masked-LM task class for this backbone's family."""
    import keras_hub

    from ssl_domains.api import UserError, class_for, family_names

    try:
        return class_for(keras_hub.models.MaskedLM, backbone)
    except UserError:
        raise UserError(
            f"the mlm recipe needs keras-hub's masked-LM task of the model's family, and "
            f"keras-hub has none for {type(backbone).__name__}; Hugging Face families it "
            f"converts and has one for: {family_names()} (see docs/model-families.md)"
        ) from None


def _restore_head(model, source: str) -> bool:
    """Carry the masked-LM head over from the source where it has one (the vocabulary
    may have grown): a preset that saved its task, or a Hugging Face `*ForMaskedLM`
    checkpoint. A backbone-only source leaves the head fresh. Returns whether the head
    was restored."""
    from pathlib import Path

    import keras_hub

    from ssl_domains.api import copy_weights_growing, hugging_face_family, hugging_face_head

    family = hugging_face_family(source)
    if family is not None:
        tensors = hugging_face_head(source, family)
        if tensors is None or type(model).__name__ != family.masked_lm:
            return False  # a bare `*Model` checkpoint: the head starts fresh
        head = model.get_layer("mlm_head")
        dense, norm = head._intermediate_dense, head._intermediate_layer_norm
        variables = dict(
            kernel=dense.kernel,
            bias=dense.bias,
            gamma=norm.gamma,
            beta=norm.beta,
            output_bias=head._bias,
        )
        copy_weights_growing([(tensors[name], variables[name]) for name in variables])
        return True
    if not (Path(source) / "task.json").is_file():
        return False  # a backbone-only preset: the head starts fresh
    previous = keras_hub.models.MaskedLM.from_preset(source, preprocessor=None)
    if type(previous) is not type(model):
        return False
    backbone_vars = {id(v) for v in model.backbone.weights}
    pairs = [
        (old, new)
        for old, new in zip(previous.weights, model.weights, strict=True)
        if id(new) not in backbone_vars
    ]
    copy_weights_growing(pairs)
    return True
