"""Plots: one panel per metric, validation beside training, nothing for run facts."""

import matplotlib.image

from ssl_domains.reporting.plots import training_curves_png


def test_training_curves_get_one_panel_per_model_metric(tmp_path):
    rows = [
        {
            "time": 1.0,
            "step": s,
            "loss": 5.0 - s / 10,
            "accuracy": s / 100,
            "learning_rate": 1e-3,
            "tokens_per_s": 900.0,
        }
        for s in range(10, 60, 10)
    ]
    rows.append({"time": 2.0, "step": 50, "val_loss": 4.2, "val_perplexity": 30.0})
    rows.append({"time": 3.0, "step": 50, "final": True, "masked_accuracy": 0.2})
    path = training_curves_png(rows, tmp_path / "curves.png")
    height, width, _ = matplotlib.image.imread(path).shape
    # accuracy, loss, perplexity: one row of three 4x3-inch panels at 110 dpi
    assert (width, height) == (3 * 4 * 110, 3 * 110)
