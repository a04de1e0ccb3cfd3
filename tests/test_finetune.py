"""Fine-tuning, export and prediction, through the CLI as a user runs them."""

import json

import numpy as np
import pytest
from conftest import run_cli

FAST = ["--epochs", "12", "--seq-len", "32", "--batch-size", "16", "--learning-rate", "3e-3"]
# What "beats chance" means for each generated task.
CHANCE = {
    "classification": ("accuracy", 0.8),
    "pair-classification": ("accuracy", 0.7),  # "one" of none/one/both is 50%
    "regression": ("pearson", 0.5),
    "token-classification": ("accuracy", 0.85),  # always "O" scores 5/7 = 0.71
}


def finetune(task, data, run_dir, source, *args, backend="tensorflow"):
    result = run_cli(
        "finetune",
        str(source),
        "--task",
        task,
        "--data",
        str(data),
        "--run-dir",
        str(run_dir),
        *FAST,
        *args,
        backend=backend,
    )
    assert result.returncode == 0, result.output
    return json.loads((run_dir / "report.json").read_text())


@pytest.mark.parametrize("task", list(CHANCE))
def test_each_task_fine_tunes_past_chance_on_each_backend(
    task, backend, tmp_path, pretrained_run, labeled_files
):
    report = finetune(task, labeled_files[task], tmp_path / "ft", pretrained_run, backend=backend)
    metric, floor = CHANCE[task]
    assert report[metric] > floor, report
    for name in ("model.keras", "task.json", "preset/config.json", "metrics.jsonl", "run.toml"):
        assert (tmp_path / "ft" / name).exists(), name


def test_classification_writes_a_report_table_and_a_confusion_matrix(
    tmp_path, pretrained_run, labeled_files
):
    result = run_cli(
        "finetune",
        str(pretrained_run),
        "--data",
        str(labeled_files["classification"]),
        "--run-dir",
        str(tmp_path / "ft"),
        *FAST,
        "--class-weights",
        "--layer-decay",
        "0.8",
    )
    assert result.returncode == 0, result.output
    assert "precision" in result.stdout and "macro_f1" in result.stdout
    png = (tmp_path / "ft" / "confusion_matrix.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    report = json.loads((tmp_path / "ft" / "report.json").read_text())
    assert set(report["per_class"]) == {"up", "down"}
    assert np.array(report["confusion"]).sum() == 48  # a 20% validation split of 240


def test_a_frozen_backbone_trains_only_the_head(tmp_path, pretrained_run, labeled_files):
    import keras

    finetune(
        "classification",
        labeled_files["classification"],
        tmp_path / "ft",
        pretrained_run,
        "--freeze-backbone",
    )
    import ssl_domains.tasks.base  # noqa: F401  (registers our layers)

    tuned = keras.saving.load_model(tmp_path / "ft" / "model.keras")
    import keras_hub

    original = keras_hub.models.Backbone.from_preset(str(pretrained_run / "preset"))
    tuned_backbone = next(x for x in tuned.layers if isinstance(x, keras_hub.models.Backbone))
    for before, after in zip(original.get_weights(), tuned_backbone.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, pretrained_run, labeled_files):
    """A classifier fine-tuned on JAX, exported by a fresh process (on TensorFlow)."""
    root = tmp_path_factory.mktemp("export")
    finetune(
        "classification",
        labeled_files["classification"],
        root / "ft",
        pretrained_run,
        backend="jax",
    )
    result = run_cli("export", str(root / "ft"), "--out", str(root / "serving" / "1"))
    assert result.returncode == 0, result.output
    return root, result


def test_export_checks_savedmodel_outputs_against_the_keras_model(exported):
    _, result = exported
    assert "outputs match the Keras model" in result.stdout
    difference = float(result.stdout.split("max abs difference ")[1].split(")")[0])
    assert difference <= 1e-5


def test_the_savedmodel_serves_raw_strings_with_labels_from_its_assets(exported):
    import subprocess

    import tensorflow as tf

    root, _ = exported
    path = root / "serving" / "1"
    assert (path / "assets" / "labels.txt").read_text().split() == ["down", "up"]
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    out = serve(text=tf.constant(["Acme rose the market said.", "Zenith fell on results."]))
    np.testing.assert_allclose(out["probabilities"].numpy().sum(axis=1), 1.0, rtol=1e-5)
    assert [label.decode() for label in out["label"].numpy()] == ["up", "down"]
    shown = subprocess.run(
        ["saved_model_cli", "show", "--dir", str(path), "--all"], capture_output=True, text=True
    )
    assert "inputs['text']" in shown.stdout and "DT_STRING" in shown.stdout


def test_predict_reads_a_run_and_a_savedmodel(exported):
    root, _ = exported
    for source in (root / "ft", root / "serving" / "1"):
        result = run_cli("predict", str(source), "Acme rose the market said.")
        assert result.returncode == 0, result.output
        # The row of the input: its predicted label, then the classes by probability.
        row = next(line for line in result.stdout.splitlines() if "Acme rose" in line)
        cells = [cell.strip() for cell in row.strip("│ ").split("│")]
        assert cells[1] == "up" and cells[2].startswith("up "), row


def test_keras_and_preset_exports_load_back(tmp_path, exported):
    import keras_hub

    root, _ = exported
    for fmt in ("keras", "preset"):
        result = run_cli("export", str(root / "ft"), "--format", fmt, "--out", str(tmp_path / fmt))
        assert result.returncode == 0, result.output
    assert (tmp_path / "keras" / "model.keras").is_file()
    exported_backbone = keras_hub.models.Backbone.from_preset(str(tmp_path / "preset"))
    tuned_backbone = keras_hub.models.Backbone.from_preset(str(root / "ft" / "preset"))
    for got, want in zip(
        exported_backbone.get_weights(), tuned_backbone.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(got, want)  # the fine-tuned encoder, not another


@pytest.mark.parametrize(
    "content, message",
    [
        ("body,label\nhello,up\nbye,down\n", "no column 'text' for text"),
        ("text,label\nhello,up\nbye,up\nmore,up\n", "needs at least two classes, found only 'up'"),
        ("text,label\n", "no rows"),
    ],
)
def test_bad_label_files_exit_2_with_one_clear_line(tmp_path, pretrained_run, content, message):
    data = tmp_path / "labels.csv"
    data.write_text(content)
    result = run_cli(
        "finetune", str(pretrained_run), "--data", str(data), "--run-dir", str(tmp_path / "ft")
    )
    assert result.returncode == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "ft").exists()


def test_a_task_word_means_that_task_for_the_source_modality():
    from ssl_domains.config import FinetuneConfig, assign
    from ssl_domains.errors import UserError
    from ssl_domains.tasks import resolve_task

    assert resolve_task("classification", "audio") == "audio-classification"
    assert resolve_task("", "audio") == "audio-classification"  # the default word
    assert resolve_task("classification", "text") == "classification"
    assert resolve_task("audio-classification", "audio") == "audio-classification"  # alias
    assert resolve_task("ctc", None) == "ctc"  # a preset of unknown modality
    with pytest.raises(UserError, match="for audio pass --task classification or ctc"):
        resolve_task("token-classification", "audio", "the speech model")
    with pytest.raises(
        UserError, match="unknown task 'topic'; tasks: classification \\(text, audio"
    ):
        assign(FinetuneConfig(), "run.task", "topic")  # checked as soon as it is set


def test_task_help_lists_each_task_with_its_modalities_from_the_task_classes():
    from ssl_domains.tasks import task_class, task_entries, tasks_help

    text = tasks_help()
    assert "classification (text, audio, image)" in text and "ctc (audio)" in text
    assert len(task_entries()) == 7
    for entry in task_entries():
        cls = task_class(entry.name)
        assert (cls.name, cls.modality) == (entry.name, entry.modality)
        assert f"{entry.word} (" in text


@pytest.mark.parametrize("task", ["ctc", "audio-classification"])
def test_an_audio_task_on_a_text_model_exits_2_naming_the_text_tasks(
    task, tmp_path, pretrained_run
):
    run_dir = tmp_path / "ft"
    result = run_cli("finetune", str(pretrained_run), "--task", task, "--run-dir", str(run_dir))
    assert result.returncode == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"--task {task} is for audio models, but the finance model is text" in lines[0]
    assert (
        "--task classification, pair-classification, regression or token-classification"
        in (lines[0])
    )
