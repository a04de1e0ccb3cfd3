"""Text regression: one text -> one number (a score, a rating, a return)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ssl_domains.errors import UserError
from ssl_domains.tasks.base import pooled_head
from ssl_domains.text.tasks.classification import Classification


class Regression(Classification):
    """One text -> one real value (`text,label` rows, the label a number)."""

    name = "regression"
    roles = ("text", "label")
    monitor = ("val_loss", "min")
    parity_key = "score"

    @classmethod
    def label_names(cls, data):
        return None

    @classmethod
    def stratify_by(cls, data):
        return None

    def targets(self, data):
        try:
            values = np.array([float(v) for v in data.columns["label"]], "float32")
        except ValueError as error:
            raise UserError(f"{data.path}: regression labels must be numbers ({error})") from None
        return values[:, None], None

    def build_model(self, dropout: float = 0.1) -> keras.Model:
        return pooled_head(self.encoder, 1, dropout, "regressor")

    def compile_args(self) -> dict[str, Any]:
        return dict(loss="mse", weighted_metrics=[keras.metrics.MeanAbsoluteError("mae")])

    def decode(self, outputs):
        return {"score": np.asarray(outputs, "float32")[:, 0]}

    def report(self, data, predictions):
        from scipy.stats import pearsonr, spearmanr

        truth = self.targets(data)[0][:, 0]
        predicted = predictions["score"]
        error = predicted - truth
        constant = np.std(predicted) == 0 or np.std(truth) == 0
        return {
            "rmse": float(np.sqrt(np.mean(error**2))),
            "mae": float(np.mean(np.abs(error))),
            "pearson": 0.0 if constant else float(pearsonr(truth, predicted)[0]),
            "spearman": 0.0 if constant else float(spearmanr(truth, predicted)[0]),
        }

    def serve(self, model, text):
        return {"score": tf.cast(model(self.featurize(text), training=False), tf.float32)[:, 0]}
