"""Write a keras-hub BERT backbone as a Hugging Face checkpoint directory.

The inverse of keras-hub's `convert_bert`: tests use it to build a local Hugging
Face BERT checkpoint (config.json, model.safetensors, vocab.txt) without a download.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
from safetensors.numpy import save_file


def _np(variable) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(variable), dtype=np.float32)


def save_as_hugging_face(backbone, vocabulary: list[str], directory: Path) -> Path:
    hidden = backbone.hidden_dim
    tensors = {
        "embeddings.word_embeddings.weight": _np(backbone.get_layer("token_embedding").embeddings),
        "embeddings.position_embeddings.weight": _np(
            backbone.get_layer("position_embedding").position_embeddings
        ),
        "embeddings.token_type_embeddings.weight": _np(
            backbone.get_layer("segment_embedding").embeddings
        ),
        "embeddings.LayerNorm.weight": _np(backbone.get_layer("embeddings_layer_norm").gamma),
        "embeddings.LayerNorm.bias": _np(backbone.get_layer("embeddings_layer_norm").beta),
        "pooler.dense.weight": _np(backbone.get_layer("pooled_dense").kernel).T,
        "pooler.dense.bias": _np(backbone.get_layer("pooled_dense").bias),
    }
    for i in range(backbone.num_layers):
        block = backbone.get_layer(f"transformer_layer_{i}")
        attention = block._self_attention_layer
        prefix = f"encoder.layer.{i}."
        for name in ("query", "key", "value"):
            dense = getattr(attention, f"{name}_dense")
            tensors[f"{prefix}attention.self.{name}.weight"] = (
                _np(dense.kernel).reshape(hidden, -1).T
            )
            tensors[f"{prefix}attention.self.{name}.bias"] = _np(dense.bias).reshape(-1)
        out = attention.output_dense
        tensors[f"{prefix}attention.output.dense.weight"] = _np(out.kernel).reshape(-1, hidden).T
        tensors[f"{prefix}attention.output.dense.bias"] = _np(out.bias)
        norms = {
            "attention.output.LayerNorm": block._self_attention_layer_norm,
            "output.LayerNorm": block._feedforward_layer_norm,
        }
        for name, norm in norms.items():
            tensors[f"{prefix}{name}.weight"] = _np(norm.gamma)
            tensors[f"{prefix}{name}.bias"] = _np(norm.beta)
        dense_layers = {
            "intermediate.dense": block._feedforward_intermediate_dense,
            "output.dense": block._feedforward_output_dense,
        }
        for name, dense in dense_layers.items():
            tensors[f"{prefix}{name}.weight"] = _np(dense.kernel).T
            tensors[f"{prefix}{name}.bias"] = _np(dense.bias)

    directory.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: np.ascontiguousarray(v) for k, v in tensors.items()}, directory / "model.safetensors"
    )
    config = {
        "model_type": "bert",
        "architectures": ["BertForMaskedLM"],
        "vocab_size": backbone.vocabulary_size,
        "num_hidden_layers": backbone.num_layers,
        "num_attention_heads": backbone.num_heads,
        "hidden_size": hidden,
        "intermediate_size": backbone.intermediate_dim,
        "max_position_embeddings": backbone.max_sequence_length,
        "type_vocab_size": backbone.num_segments,
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-12,
    }
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    (directory / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": False}))
    (directory / "vocab.txt").write_text("\n".join(vocabulary) + "\n")
    return directory
