"""`--precision`: the Keras dtype policy a run builds its models in, and float32 for
exports.

Mixed precision is Keras's global dtype policy, read by every layer when it is built:
bf16 and fp16 keep the variables in float32 and compute in bfloat16 or float16. It
is set once a run has chosen its backend and before any model exists; presets loaded
with `--from` follow it too, whatever they were saved in (`Encoder.load`, through
`with_policy`). For fp16, `Model.compile` wraps the optimizer in a
`LossScaleOptimizer` itself (every model built under the policy has it), so nothing
here scales losses.

Exports are float32 whatever a run trained in: a SavedModel serves, and its parity
check compares it with a float32 Keras model.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ssl_domains.config import PRECISIONS

FLOAT32 = PRECISIONS["fp32"]


def set_precision(name: str) -> None:
    """Build every model from now on in `name`'s policy (a key of `PRECISIONS`).

    Examples:

    ```python
    from ssl_domains.backend import select_backend
    from ssl_domains.training.precision import set_precision

    select_backend("tensorflow")
    set_precision("bf16")  # then build or load the models
    ```
    """
    import keras

    keras.config.set_dtype_policy(PRECISIONS[name])


@contextlib.contextmanager
def global_policy(policy: str):
    """The Keras policy `policy` (`"float32"`, `"mixed_bfloat16"`) inside the block, the
    previous one after it."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def with_policy(model, policy: str | None = None):
    """`model` itself when its config agrees with the Keras policy `policy` (default:
    the global one), else a copy built in it with the same weights.

    A config can disagree in two ways: keras-hub's `from_preset` replaces a backbone's
    own saved policy but not those of the backbones inside it (the towers of a dual
    encoder or of `CLIPBackbone`), and a saved functional model (`model.keras`)
    records the policy of every layer. Mixed policies keep variables in float32, so
    the weights copy across unchanged."""
    import keras

    policy = policy or keras.config.dtype_policy().name
    serialized = keras.saving.serialize_keras_object(model)
    config = _with_policy(serialized, policy)
    if config == serialized:
        return model
    with global_policy(policy):  # for layers a constructor builds without a dtype
        copy = keras.saving.deserialize_keras_object(config)
    copy.set_weights(model.get_weights())
    return copy


def _with_policy(config: Any, policy: str) -> Any:
    """`config` with every float policy of `PRECISIONS` replaced by `policy`."""
    if isinstance(config, list):
        return [_with_policy(item, policy) for item in config]
    if not isinstance(config, dict):
        return config
    if config.get("class_name") == "DTypePolicy":
        if config.get("config", {}).get("name") in PRECISIONS.values():
            return {**config, "config": {**config["config"], "name": policy}}
    return {key: _with_policy(value, policy) for key, value in config.items()}
