"""Write tiny Hugging Face checkpoints of each text family keras-hub converts.

`save_family(family, directory)` builds a tiny keras-hub backbone and its masked-LM
head, trains the family's kind of tokenizer on a few hundred lines of the finance
sample, and writes what a Hugging Face `*ForMaskedLM` directory holds: config.json,
model.safetensors (with the family's weight names and prefix) and the tokenizer
files (vocab.txt, vocab.json + merges.txt, or a SentencePiece model).

The weights are exported by inverting keras-hub's own converter: a stand-in for its
`SafetensorLoader` records which Hugging Face tensor feeds which Keras variable
(and through which hook); each tensor is then laid out as Hugging Face stores it
(a linear layer as `[out, in]`) and checked by running the hook on it, which must
give back the Keras value exactly.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from pathlib import Path

import keras
import numpy as np
from safetensors.numpy import save_file

CORPUS = Path(__file__).parents[1] / "plugins" / "finance" / "data" / "corpus.txt"
FAMILIES = ("bert", "distilbert", "roberta", "xlm-roberta", "albert")
MAX_POSITIONS = 64
DIMS = dict(num_layers=1, num_heads=2, hidden_dim=32, intermediate_dim=64)
BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# What the Hugging Face *ForMaskedLM classes call their backbone (prefix) and their
# masked-LM head: (transform dense, transform layer norm, output bias).
HF_NAMES = {
    "bert": ("bert.", "cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm",
             "cls.predictions.bias"),
    "distilbert": ("", "vocab_transform", "vocab_layer_norm", "vocab_projector.bias"),
    "roberta": ("", "lm_head.dense", "lm_head.layer_norm", "lm_head.bias"),
    "xlm-roberta": ("roberta.", "lm_head.dense", "lm_head.layer_norm", "lm_head.bias"),
    "albert": ("", "predictions.dense", "predictions.LayerNorm", "predictions.bias"),
}  # fmt: skip
# (keras-hub's RoBERTa, DistilBERT and ALBERT converters name the prefix themselves.)


def corpus_lines(count: int = 400) -> list[str]:
    return CORPUS.read_text(encoding="utf-8").splitlines()[:count]


def _np(variable) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(variable), dtype=np.float32)


# Tokenizer assets -----------------------------------------------------------------


def wordpiece_vocabulary(lines: list[str], words: int = 400) -> list[str]:
    """BERT's specials, every character (alone and as a `##` piece), frequent words:
    words outside the list split into `##` character pieces."""
    text = " ".join(lines)
    characters = sorted({c for c in text if not c.isspace()})
    counts = Counter(re.findall(r"\w+|[^\w\s]", text))
    frequent = [w for w, _ in counts.most_common() if len(w) > 1][:words]
    return BERT_SPECIALS + characters + [f"##{c}" for c in characters] + frequent


def byte_level_bpe(lines: list[str], size: int = 600) -> tuple[dict[str, int], list[str]]:
    """RoBERTa's byte-level BPE (vocab.json, merges.txt), trained with `tokenizers`."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe.train_from_iterator(lines, vocab_size=size, special_tokens=specials, show_progress=False)
    model = json.loads(bpe.to_str())["model"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    return model["vocab"], merges


def sentencepiece_model(lines: list[str], size: int = 400, **options) -> bytes:
    """A SentencePiece model proto trained on `lines` (keras-hub's own tests do the same)."""
    import sentencepiece as spm

    proto = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=proto,
        vocab_size=size,
        character_coverage=1.0,
        minloglevel=2,
        **options,
    )
    return proto.getvalue()


# Weights ----------------------------------------------------------------------------


class _Recorder:
    """Stands in for keras-hub's `SafetensorLoader`: records where each tensor goes."""

    def __init__(self, tensors: dict[str, np.ndarray]):
        self.tensors, self.ports, self.read = tensors, [], {}

    def get_tensor(self, key):
        self.read[key] = self.tensors[key]  # a KeyError tells a converter "not stored"
        return self.read[key]

    def port_weight(self, keras_variable, hf_weight_key, hook_fn=None):
        self.ports.append((keras_variable, hf_weight_key, hook_fn))


_PROJECTIONS = re.compile(r"\.(query|key|value|q_lin|k_lin|v_lin)\.weight$")


def _as_hugging_face(value: np.ndarray, key: str, hook) -> np.ndarray:
    """`value` (a Keras variable) laid out as Hugging Face stores tensor `key`."""
    if hook is None:
        return value
    if key.endswith(".bias") or value.ndim == 1:
        stored = value.reshape(-1)
    elif "embeddings" in key:  # positions: RoBERTa keeps two reserved rows in front
        shape = list(value.shape)
        rows = next(n for n in (0, 2) if len(hook(np.zeros((shape[0] + n, 1)), shape)) == shape[0])
        stored = np.concatenate([np.zeros((rows, shape[1]), value.dtype), value])
    else:  # a linear layer: [out, in]; Keras kernels are [in..., out...]
        inputs = 1 if _PROJECTIONS.search(key) or value.ndim == 2 else value.ndim - 1
        stored = value.reshape(int(np.prod(value.shape[:inputs])), -1).T
    np.testing.assert_array_equal(hook(stored, list(value.shape)), value, err_msg=key)
    return stored


def backbone_tensors(backbone, converter, config: dict) -> dict[str, np.ndarray]:
    """The Hugging Face tensors keras-hub's `converter` turns into `backbone`."""
    # RoBERTa-style checkpoints store one (unused, zero) token type row.
    extra = {"embeddings.token_type_embeddings.weight": np.zeros((1, backbone.hidden_dim))}
    recorder = _Recorder(extra)
    converter.convert_weights(backbone, recorder, config)
    tensors = dict(recorder.read)
    for variable, key, hook in recorder.ports:
        tensors[key] = _as_hugging_face(_np(variable), key, hook)
    return tensors


def head_tensors(masked_lm, family: str) -> dict[str, np.ndarray]:
    head = masked_lm.get_layer("mlm_head")
    _, dense, norm, bias = HF_NAMES[family]
    return {
        f"{dense}.weight": _np(head._intermediate_dense.kernel).T,
        f"{dense}.bias": _np(head._intermediate_dense.bias),
        f"{norm}.weight": _np(head._intermediate_layer_norm.gamma),
        f"{norm}.bias": _np(head._intermediate_layer_norm.beta),
        bias: _np(head._bias),
    }


# Families -------------------------------------------------------------------------


def _family(family: str, directory: Path, lines: list[str]):
    """(keras-hub backbone, Hugging Face config, converter), writing tokenizer files."""
    import keras_hub
    from keras_hub.src.utils.transformers import (
        convert_albert,
        convert_bert,
        convert_distilbert,
        convert_roberta,
        convert_xlm_roberta,
    )

    d, common = DIMS, {"hidden_act": "gelu", "layer_norm_eps": 1e-12}
    if family in ("bert", "distilbert"):
        vocabulary = wordpiece_vocabulary(lines)
        (directory / "vocab.txt").write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
        (directory / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": False}))
        size = len(vocabulary)
    if family == "bert":
        backbone = keras_hub.models.BertBackbone(
            vocabulary_size=size, max_sequence_length=MAX_POSITIONS, **d
        )
        config = {
            "architectures": ["BertForMaskedLM"],
            "vocab_size": size,
            "num_hidden_layers": d["num_layers"],
            "num_attention_heads": d["num_heads"],
            "hidden_size": d["hidden_dim"],
            "intermediate_size": d["intermediate_dim"],
            "max_position_embeddings": MAX_POSITIONS,
            "type_vocab_size": 2,
            "hidden_dropout_prob": 0.1,
            **common,
        }
        return backbone, config, convert_bert
    if family == "distilbert":
        backbone = keras_hub.models.DistilBertBackbone(
            vocabulary_size=size, max_sequence_length=MAX_POSITIONS, **d
        )
        config = {
            "architectures": ["DistilBertForMaskedLM"],
            "vocab_size": size,
            "n_layers": d["num_layers"],
            "n_heads": d["num_heads"],
            "dim": d["hidden_dim"],
            "hidden_dim": d["intermediate_dim"],
            "dropout": 0.1,
            "activation": "gelu",
            "max_position_embeddings": MAX_POSITIONS,
        }
        return backbone, config, convert_distilbert
    if family == "roberta":
        vocab, merges = byte_level_bpe(lines)
        (directory / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
        (directory / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
        backbone = keras_hub.models.RobertaBackbone(
            vocabulary_size=len(vocab), max_sequence_length=MAX_POSITIONS, **d
        )
        config = {
            "architectures": ["RobertaForMaskedLM"],
            "vocab_size": len(vocab),
            "num_hidden_layers": d["num_layers"],
            "num_attention_heads": d["num_heads"],
            "hidden_size": d["hidden_dim"],
            "intermediate_size": d["intermediate_dim"],
            "max_position_embeddings": MAX_POSITIONS + 2,
            "type_vocab_size": 1,
            "hidden_dropout_prob": 0.1,
            "pad_token_id": 1,
            "bos_token_id": 0,
            "eos_token_id": 2,
            **common,
        }
        return backbone, config, convert_roberta
    if family == "xlm-roberta":
        # fairseq's layout: <unk>=0, <s>=1, </s>=2 in the model; keras-hub shifts by one.
        proto = sentencepiece_model(lines, model_type="bpe")
        (directory / "sentencepiece.bpe.model").write_bytes(proto)
        size = keras_hub.models.XLMRobertaTokenizer(proto=proto).vocabulary_size()
        backbone = keras_hub.models.XLMRobertaBackbone(
            vocabulary_size=size, max_sequence_length=MAX_POSITIONS, **d
        )
        config = {
            "architectures": ["XLMRobertaForMaskedLM"],
            "vocab_size": size,
            "num_hidden_layers": d["num_layers"],
            "num_attention_heads": d["num_heads"],
            "hidden_size": d["hidden_dim"],
            "intermediate_size": d["intermediate_dim"],
            "max_position_embeddings": MAX_POSITIONS + 2,
            "type_vocab_size": 1,
            "hidden_dropout_prob": 0.1,
            "pad_token_id": 1,
            **common,
        }
        return backbone, config, convert_xlm_roberta
    if family == "albert":
        proto = sentencepiece_model(
            lines,
            model_type="unigram",
            pad_id=0,
            unk_id=1,
            bos_id=-1,
            eos_id=-1,
            control_symbols=["[CLS]", "[SEP]", "[MASK]"],
        )
        (directory / "spiece.model").write_bytes(proto)
        size = keras_hub.models.AlbertTokenizer(proto=proto).vocabulary_size()
        backbone = keras_hub.models.AlbertBackbone(
            vocabulary_size=size, embedding_dim=16, max_sequence_length=MAX_POSITIONS, **d
        )
        config = {
            "architectures": ["AlbertForMaskedLM"],
            "vocab_size": size,
            "num_hidden_layers": d["num_layers"],
            "num_attention_heads": d["num_heads"],
            "embedding_size": 16,
            "hidden_size": d["hidden_dim"],
            "intermediate_size": d["intermediate_dim"],
            "num_hidden_groups": 1,
            "inner_group_num": 1,
            "attention_probs_dropout_prob": 0.0,
            "max_position_embeddings": MAX_POSITIONS,
            "type_vocab_size": 2,
            "hidden_act": "gelu_new",
        }
        return backbone, config, convert_albert
    raise ValueError(f"no tiny checkpoint for {family!r}; families: {', '.join(FAMILIES)}")


def save_family(family: str, directory: Path, head: bool = True, lines=None) -> keras.Model:
    """Write a tiny Hugging Face `*ForMaskedLM` checkpoint of `family` into `directory`;
    return the keras-hub masked-LM model whose weights it holds.

    With `head=False` the masked-LM head is left out, as in a bare `*Model` checkpoint.
    """
    from ssl_domains.recipes.mlm import masked_lm_class

    directory.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(0)
    backbone, config, converter = _family(family, directory, lines or corpus_lines())
    masked_lm = masked_lm_class(backbone)(backbone=backbone, preprocessor=None)
    _randomise(masked_lm)
    prefix = HF_NAMES[family][0]
    tensors = {prefix + k: v for k, v in backbone_tensors(backbone, converter, config).items()}
    if family == "roberta":  # stored, zero, and ignored by keras-hub's converter
        token_types = np.zeros((1, DIMS["hidden_dim"]))
        tensors["roberta.embeddings.token_type_embeddings.weight"] = token_types
    if head:
        tensors.update(head_tensors(masked_lm, family))
    save_file(
        {k: np.ascontiguousarray(v, np.float32) for k, v in tensors.items()},
        directory / "model.safetensors",
    )
    config = {"model_type": family, **config}
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    return masked_lm


def _randomise(model) -> None:
    """Give zero-initialised weights (biases, layer norms) random values, so a test
    that compares a converted model with this one notices a weight left behind."""
    rng = np.random.default_rng(0)
    for variable in model.weights:
        value = _np(variable)
        variable.assign(value + rng.normal(0, 0.02, value.shape).astype(np.float32))
