"""The check every SavedModel passes before an export is called done: reloaded with
plain `tf.saved_model.load`, its outputs equal the Keras model's on sample inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

TOLERANCE = 1e-5


def check_parity(exported, expected, out: Path, what: str = "outputs") -> float:
    """Max |exported - expected|; raises if it is above `TOLERANCE`."""
    difference = float(np.max(np.abs(np.asarray(exported) - np.asarray(expected))))
    if not difference <= TOLERANCE:
        raise RuntimeError(
            f"SavedModel {what} differ from the Keras model's by {difference:.2e} "
            f"(> {TOLERANCE:g}); the export at {out} is not trustworthy"
        )
    return difference
