"""Every Step-1 command, run as a user runs it."""

import subprocess
import sys

from conftest import run_cli


def test_help_and_domain_listing_do_not_import_tensorflow():
    probe = (
        "import sys; from typer.testing import CliRunner; "
        "from ssl_domains.cli.main import app; r = CliRunner(); "
        "assert r.invoke(app, ['--help']).exit_code == 0; "
        "assert r.invoke(app, ['domains', 'list']).exit_code == 0; "
        "assert r.invoke(app, ['recipes', 'list']).exit_code == 0; "
        "heavy = [m for m in ('tensorflow', 'keras', 'jax', 'torch') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_domains_show_describes_finance():
    result = run_cli("domains", "show", "finance")
    assert result.returncode == 0
    assert "modality: text" in result.stdout and "corpus.txt" in result.stdout
    assert "ssl-domains" in result.stdout


def test_recipes_show_lists_hyperparameters_and_paper():
    result = run_cli("recipes", "show", "mlm")
    assert result.returncode == 0
    assert "mask_rate" in result.stdout and "1810.04805" in result.stdout


def test_doctor_reports_versions_and_backends():
    result = run_cli("doctor")
    assert result.returncode == 0, result.output
    for name in ("keras-hub", "tensorflow", "jax", "torch"):
        assert name in result.stdout
    assert "CPU" in result.stdout or "cpu" in result.stdout


def test_dry_run_prints_the_resolved_plan_without_training(tmp_path):
    result = run_cli(
        "pretrain",
        "--domain",
        "finance",
        "--steps",
        "7",
        "--set",
        "recipe.masking=whole_word",
        "--dry-run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.output
    assert "steps = 7" in result.stdout and 'masking = "whole_word"' in result.stdout
    assert "dry run" in result.stdout
    assert not (tmp_path / "runs").exists()


def test_config_file_and_set_override_in_order(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text("[train]\nsteps = 11\nbatch_size = 8\n[recipe]\nmask_rate = 0.2\n")
    result = run_cli(
        "pretrain",
        "--domain",
        "finance",
        "--config",
        str(config),
        "--batch-size",
        "4",
        "--set",
        "recipe.mask_rate=0.3",
        "--dry-run",
    )
    assert result.returncode == 0, result.output
    out = result.stdout
    assert "steps = 11" in out and "batch_size = 4" in out and "mask_rate = 0.3" in out


def _one_line_error(result):
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_bad_set_key_exits_2_with_one_line():
    line = _one_line_error(run_cli("pretrain", "--domain", "finance", "--set", "train.stepz=5"))
    assert "unknown config key 'train.stepz'" in line and "train.steps" in line


def test_a_bad_set_value_exits_2_with_one_line():
    line = _one_line_error(run_cli("pretrain", "--domain", "finance", "--set", "train.steps=many"))
    assert "train.steps expects int" in line


def test_an_unknown_domain_exits_2_with_one_line():
    assert "unknown domain 'legall'" in _one_line_error(run_cli("pretrain", "--domain", "legall"))


def test_a_missing_corpus_exits_2_with_one_line(tmp_path):
    line = _one_line_error(
        run_cli("pretrain", "--domain", "finance", "--corpus", str(tmp_path / "nope"), "--dry-run")
    )
    assert "corpus path not found" in line


def test_a_missing_preset_exits_2_with_one_line(tmp_path):
    line = _one_line_error(
        run_cli(
            "pretrain",
            "--domain",
            "finance",
            "--from",
            "./no/such/preset",
            "--steps",
            "1",
            "--run-dir",
            str(tmp_path / "r"),
        )
    )
    assert "preset directory not found" in line
