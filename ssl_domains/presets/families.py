"""Model families: keras-hub's classes for a backbone, and what its tokenizer is.

`FAMILIES` lists the Hugging Face text families that keras-hub 0.32 both converts
(`keras_hub/src/utils/transformers/convert_*.py`) and has a masked-LM task for, so
that `ssl-domains pretrain --from <Hugging Face dir>` continues their MLM (see
docs/model-families.md). The tokenizer kind decides where words start, for
whole-word and span masking, and whether the vocabulary can be extended.

Examples:

```python
from ssl_domains.presets.families import tokenizer_kind, word_start
from ssl_domains.presets.encoder import Encoder

encoder = Encoder.load("checkpoints/roberta-base")
tokenizer_kind(encoder.tokenizer)  # "byte_bpe"
word_start(encoder.tokenizer)  # "start_prefix:Ġ"
```
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ssl_domains.errors import UserError

WORDPIECE, SENTENCEPIECE, BYTE_BPE = "wordpiece", "sentencepiece", "byte_bpe"
# How each tokenizer kind marks words: WordPiece marks the pieces that continue a
# word, SentencePiece and byte-level BPE the pieces that start one (`▁` stands for
# the space before a word, `Ġ` is GPT-2's printable form of the space byte).
WORD_STARTS = {
    WORDPIECE: "continuation_prefix:##",
    SENTENCEPIECE: "start_prefix:\u2581",
    BYTE_BPE: "start_prefix:\u0120",
}
TOKENIZER_NAMES = {
    WORDPIECE: "WordPiece",
    SENTENCEPIECE: "SentencePiece",
    BYTE_BPE: "byte-level BPE",
}


@dataclass(frozen=True)
class Family:
    """A Hugging Face family that ssl-domains continues MLM pretraining of.

    `head` names the Hugging Face masked-LM head: its transform dense layer, its
    layer norm, and the output bias (alternatives in order; the decoder weight is
    tied to the token embedding).
    """

    name: str
    model_type: str
    masked_lm: str
    tokenizer: str
    files: tuple[str, ...]
    head: tuple[str, str, tuple[str, ...]]

    @property
    def extends_vocabulary(self) -> bool:
        return self.tokenizer == WORDPIECE


FAMILIES = (
    Family(
        "BERT",
        "bert",
        "BertMaskedLM",
        WORDPIECE,
        ("vocab.txt", "tokenizer_config.json"),
        (
            "cls.predictions.transform.dense",
            "cls.predictions.transform.LayerNorm",
            ("cls.predictions.bias", "cls.predictions.decoder.bias"),
        ),
    ),
    Family(
        "DistilBERT",
        "distilbert",
        "DistilBertMaskedLM",
        WORDPIECE,
        ("vocab.txt", "tokenizer_config.json"),
        ("vocab_transform", "vocab_layer_norm", ("vocab_projector.bias",)),
    ),
    Family(
        "RoBERTa",
        "roberta",
        "RobertaMaskedLM",
        BYTE_BPE,
        ("vocab.json", "merges.txt"),
        ("lm_head.dense", "lm_head.layer_norm", ("lm_head.bias", "lm_head.decoder.bias")),
    ),
    Family(
        "XLM-RoBERTa",
        "xlm-roberta",
        "XLMRobertaMaskedLM",
        SENTENCEPIECE,
        ("sentencepiece.bpe.model",),
        ("lm_head.dense", "lm_head.layer_norm", ("lm_head.bias", "lm_head.decoder.bias")),
    ),
    Family(
        "ALBERT",
        "albert",
        "AlbertMaskedLM",
        SENTENCEPIECE,
        ("spiece.model",),
        (
            "predictions.dense",
            "predictions.LayerNorm",
            ("predictions.bias", "predictions.decoder.bias"),
        ),
    ),
)


def family_names(keep=lambda family: True) -> str:
    return ", ".join(f.name for f in FAMILIES if keep(f))


def hugging_face_config(location: str | Path) -> dict | None:
    """The config of a local Hugging Face checkpoint directory, None for anything else
    (keras-hub's config.json names a class; Hugging Face's names a `model_type`)."""
    path = Path(location) / "config.json"
    try:
        config = json.loads(path.read_text()) if path.is_file() else None
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict) or "model_type" not in config or "class_name" in config:
        return None
    return config


def hugging_face_family(location: str | Path) -> Family | None:
    """The family of a local Hugging Face checkpoint directory, if it is in `FAMILIES`."""
    config = hugging_face_config(location) or {}
    return next((f for f in FAMILIES if f.model_type == config.get("model_type")), None)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def class_for(base, backbone):
    """The subclass of `base` (a keras-hub task or preprocessor) made for `backbone`.

    `class_for(keras_hub.models.MaskedLM, bert_backbone)` is `BertMaskedLM`.
    """
    for cls in _subclasses(base):
        if getattr(cls, "backbone_cls", None) is type(backbone):
            return cls
    raise UserError(f"keras-hub has no {base.__name__} for {type(backbone).__name__}")


def tokenizer_kind(tokenizer) -> str | None:
    """`"wordpiece"`, `"sentencepiece"` or `"byte_bpe"` for keras-hub tokenizers of
    those kinds (subclasses included), None for any other."""
    from keras_hub.tokenizers import (
        BytePairTokenizer,
        SentencePieceTokenizer,
        WordPieceTokenizer,
    )

    kinds = (
        (WordPieceTokenizer, WORDPIECE),
        (SentencePieceTokenizer, SENTENCEPIECE),
        (BytePairTokenizer, BYTE_BPE),
    )
    return next((kind for cls, kind in kinds if isinstance(tokenizer, cls)), None)


def vocabulary(tokenizer) -> list[str]:
    """The tokenizer's tokens, indexed by id (keras-hub's byte-level BPE returns its
    vocabulary in file order, which need not be id order)."""
    if tokenizer_kind(tokenizer) == BYTE_BPE:
        ids = tokenizer.vocabulary  # token -> id
        tokens = [""] * tokenizer.vocabulary_size()
        for token, index in ids.items():
            if 0 <= index < len(tokens):
                tokens[index] = token
        return tokens
    return list(tokenizer.get_vocabulary())


def word_start(tokenizer) -> str:
    """How `tokenizer`'s pieces mark words, as `WordMaskGenerator(word_start=...)` takes it.

    Raises UserError for a tokenizer whose words it cannot find (a character or byte
    tokenizer, a SentencePiece model that marks word ends): whole-word and span
    masking would otherwise quietly mask single tokens.
    """
    kind = tokenizer_kind(tokenizer)
    name = type(tokenizer).__name__
    if kind is None:
        raise UserError(
            f"whole-word and span masking need to know where words start, and {name} is "
            f"not WordPiece, SentencePiece or byte-level BPE; use recipe.masking=token"
        )
    if kind == WORDPIECE:
        return f"continuation_prefix:{tokenizer.suffix_indicator}"
    rule = WORD_STARTS[kind]
    marker = rule.split(":", 1)[1]
    tokens = [t for t in vocabulary(tokenizer) if t != marker]
    starts = sum(t.startswith(marker) for t in tokens)
    if not starts or sum(t.endswith(marker) for t in tokens) > starts:  # marks word ends
        raise UserError(
            f"whole-word and span masking: {name}'s {TOKENIZER_NAMES[kind]} vocabulary "
            f"does not mark word starts with {marker!r} (no token starts with it, or more "
            f"end with it), so its words cannot be found; use recipe.masking=token"
        )
    return rule


def hugging_face_head(location: str | Path, family: Family) -> dict | None:
    """The masked-LM head weights of a Hugging Face `*ForMaskedLM` checkpoint, laid out
    as keras-hub's `MaskedLMHead` holds them (`kernel`, `bias`, `gamma`, `beta`,
    `output_bias`); None where the checkpoint has no head (a bare `*Model`)."""
    from keras_hub.src.utils.transformers.safetensor_utils import SafetensorLoader

    dense, norm, biases = family.head
    keys = {
        "kernel": (f"{dense}.weight",),
        "bias": (f"{dense}.bias",),
        "gamma": (f"{norm}.weight", f"{norm}.gamma"),
        "beta": (f"{norm}.bias", f"{norm}.beta"),
        "output_bias": biases,
    }
    with SafetensorLoader(str(location)) as loader:
        names = set(_stored_names(loader))
        found = {name: next((k for k in keys[name] if k in names), None) for name in keys}
        if None in found.values():
            return None
        tensors = {name: loader.get_tensor(key) for name, key in found.items()}
    tensors["kernel"] = tensors["kernel"].T  # Hugging Face: [out, in]; Keras: [in, out]
    return tensors


def _stored_names(loader) -> list[str]:
    """Every tensor name of a Hugging Face checkpoint (one file, or an index of shards)."""
    import safetensors
    from keras_hub.src.utils.preset_utils import SAFETENSOR_FILE, get_file

    if loader.safetensor_config is not None:
        return list(loader.safetensor_config["weight_map"])
    with safetensors.safe_open(get_file(loader.preset, SAFETENSOR_FILE), framework="np") as f:
        return list(f.keys())
