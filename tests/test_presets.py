"""The presets ssl-domains writes load with keras-hub's own `from_preset`, once
`ssl_domains` is imported, before or after keras-hub, and without anything else."""

import subprocess
import sys

import pytest
from conftest import run_cli

IMPORTS = {
    "keras_hub first": "import keras_hub; import ssl_domains",
    "ssl_domains first": "import ssl_domains; import keras_hub",
}
# What the subprocess checks after the imports: our Keras classes load from the preset,
# and keras-hub's import went back to Python's own machinery once it had run.
CLEAN = (
    "import sys; "
    "assert type(keras_hub.__spec__.loader).__name__ != '_AfterKerasHub'; "
    "assert not [f for f in sys.meta_path if type(f).__name__ == '_AfterKerasHub']; "
)


def load_in_a_fresh_process(imports: str, checks: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", f"{imports}\n{CLEAN}\n{checks}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("order", list(IMPORTS))
def test_a_pretraining_preset_loads_with_plain_keras_hub_in_either_import_order(
    order, pretrained_run
):
    checks = f"""
preset = {str(pretrained_run / "preset")!r}
backbone = keras_hub.models.Backbone.from_preset(preset)
tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(preset)
masked_lm = keras_hub.models.MaskedLM.from_preset(preset)
ids = tokenizer("Revenue rose 12.5% to $4.2bn.").numpy().tolist()
words = tokenizer.pretokenize(["Revenue rose 12.5% to $4.2bn."]).to_list()[0]
print(type(backbone).__name__, type(tokenizer).__name__, type(masked_lm).__name__)
print(type(masked_lm.preprocessor.tokenizer).__name__, len(ids), [w.decode() for w in words])
"""
    lines = load_in_a_fresh_process(IMPORTS[order], checks).splitlines()
    assert lines[0] == "BertBackbone DomainTokenizer BertMaskedLM"
    tokenizer_class, count, words = lines[1].split(" ", 2)
    assert tokenizer_class == "DomainTokenizer" and int(count) > 0
    assert "'12.5%'" in words and "'$4.2bn'" in words  # the domain's units stay whole


def test_a_fine_tuned_preset_export_loads_with_plain_keras_hub(
    tmp_path, pretrained_run, labeled_files
):
    tuned, exported = tmp_path / "ft", tmp_path / "preset"
    result = run_cli(
        "finetune",
        str(pretrained_run),
        "--data",
        str(labeled_files["classification"]),
        "--run-dir",
        str(tuned),
        "--steps",
        "2",
        "--seq-len",
        "32",
    )
    assert result.returncode == 0, result.output
    result = run_cli("export", str(tuned), "--format", "preset", "--out", str(exported))
    assert result.returncode == 0, result.output
    checks = f"""
for preset in ({str(tuned / "preset")!r}, {str(exported)!r}):
    backbone = keras_hub.models.Backbone.from_preset(preset)
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(preset)
    classifier = keras_hub.models.TextClassifier.from_preset(preset, num_classes=2)
    scores = classifier.predict(["Acme rose the market said."], verbose=0)
    print(type(tokenizer).__name__, type(classifier).__name__, scores.shape)
"""
    out = load_in_a_fresh_process(IMPORTS["ssl_domains first"], checks)
    assert out.splitlines() == ["DomainTokenizer BertTextClassifier (1, 2)"] * 2
