"""A recipe's own callbacks and optimizer arguments reach the training loop.

In process, with a registry handed to `pretrain` rather than discovered: it holds
the finance domain and an MLM recipe that counts its steps and asks for its betas.
"""

import keras
import pytest
from rich.console import Console
from ssl_domains.plugins.finance import FinanceDomain
from ssl_domains.recipes.mlm import MaskedLanguageModeling

from ssl_domains.config import resolve_config
from ssl_domains.pipelines.pretraining import pretrain
from ssl_domains.plugin.registry import Plugin, Registry


class StepCounter(keras.callbacks.Callback):
    def __init__(self, total_steps):
        super().__init__()
        self.total_steps, self.batches = total_steps, 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


class CountingMLM(MaskedLanguageModeling):
    name = "counting-mlm"
    seen: list[StepCounter] = []

    def callbacks(self, model, total_steps):
        counter = StepCounter(total_steps)
        CountingMLM.seen.append(counter)
        return [counter]

    def optimizer_args(self, model):
        return {"beta_1": 0.8, "exclude_from_weight_decay": ["layer_norm", "bias"]}


def plugin(kind, obj):
    target = f"{obj.__module__}:{obj.__name__}"
    return Plugin(obj.name, kind, target, "ssl-domains", "0", obj=obj)


def test_recipe_callbacks_and_optimizer_args_reach_the_training_loop(tmp_path, small_corpus):
    plugins = Registry([plugin("domain", FinanceDomain), plugin("recipe", CountingMLM)])
    flags = {
        "run.domain": "finance",
        "run.recipe": "counting-mlm",
        "run.dir": str(tmp_path / "run"),
        "data.corpus": [str(small_corpus)],
        "train.steps": 6,
        "train.checkpoint_every": 3,
        "data.seq_len": 32,
        "train.batch_size": 8,
    }
    config = resolve_config(plugins, flags=flags, sets=["model.size=nano"])
    result = pretrain(config, console=Console(quiet=True), plugins=plugins, progress=False)
    assert result.step == 6
    (counter,) = CountingMLM.seen
    assert counter.total_steps == 6 and counter.batches == 6
    optimizer = counter.model.optimizer
    assert float(optimizer.beta_1) == pytest.approx(0.8)
    kinds = {v.path: optimizer._use_weight_decay(v) for v in counter.model.trainable_variables}
    assert any(kinds.values())  # kernels decay
    assert not any(used for path, used in kinds.items() if "bias" in path.split("/")[-1])
