"""A bad configuration, in any section and for any command, ends with one red line and
exit code 2 before any model is built: bad TOML, unknown keys (named with their section
and the nearest valid key), wrong types (named with the type expected) and values out
of range (named with the range).

The CLI runs in-process through `main()`, which maps `UserError` to exit code 2 as the
installed `ssl-domains` does; `typer.testing.CliRunner` would skip that mapping and
report exit code 1 with the exception instead.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# A source that does not exist: each row must fail on its config before reading it.
SOURCE = "no-such-run"
PRETRAIN = ["pretrain", "--domain", "finance", "--dry-run"]
FINETUNE = ["finetune", SOURCE, "--dry-run"]
PREPARE = ["corpus", "prepare", "--domain", "finance", "--out", "prepared"]
INSPECT = ["corpus", "inspect", "--domain", "finance"]

# (command, TOML text for --config or None, extra arguments, fragment of the message)
CASES = [
    # pretrain: TOML, unknown keys, types and ranges, in every section
    (PRETRAIN, "[train\nsteps = 5\n", [], "invalid TOML in"),
    (PRETRAIN, None, ["--config", "missing.toml"], "config file not found: missing.toml"),
    (PRETRAIN, "[trian]\nsteps = 5\n", [], "no section [trian]; did you mean [train]?"),
    (PRETRAIN, "[train]\nstepz = 5\n", [], "'train.stepz' in [train]; did you mean train.steps?"),
    (PRETRAIN, "[data]\ntxt_mod = 'line'\n", [], "in [data]; did you mean data.txt_mode?"),
    (PRETRAIN, None, ["--set", "model.sise=nano"], "in [model]; did you mean model.size?"),
    (PRETRAIN, None, ["--set", "run.backnd=jax"], "in [run]; did you mean run.backend?"),
    (PRETRAIN, None, ["--set", "recipe.mask_ratee=0.2"], "did you mean recipe.mask_rate?"),
    (
        PRETRAIN,
        None,
        ["--set", "domain.window=9"],
        "'domain.window' in [domain]: this section takes no keys here "
        "(see `ssl-domains domains show finance`)",
    ),
    (PRETRAIN, "train = 5\n", [], "config section [train] must be a table of keys"),
    (PRETRAIN, "[train.steps]\nx = 1\n", [], "train.steps is a value, not a table"),
    (PRETRAIN, None, ["--set", "train.steps"], "--set expects key=value, got 'train.steps'"),
    (PRETRAIN, "[train]\nsteps = true\n", [], "train.steps expects int, got true"),
    (PRETRAIN, None, ["--set", "train.steps=2.5"], "train.steps expects int, got '2.5'"),
    (PRETRAIN, None, ["--set", "train.steps=1e400"], "train.steps expects int, got '1e400'"),
    (PRETRAIN, "[train]\nlearning_rate = 'fast'\n", [], "learning_rate expects float, got 'fast'"),
    (PRETRAIN, None, ["--set", "train.clip_norm=nan"], "train.clip_norm expects float, got 'nan'"),
    (PRETRAIN, "[data]\ntext_field = 5\n", [], "data.text_field expects str, got 5"),
    (PRETRAIN, "[data]\ncorpus = 5\n", [], "data.corpus expects list[str], got 5"),
    (PRETRAIN, None, ["--set", "data.deduplicate=maybe"], "deduplicate expects bool, got 'maybe'"),
    (PRETRAIN, "[recipe]\nmask_rate = 'high'\n", [], "recipe.mask_rate expects float, got 'high'"),
    (PRETRAIN, None, ["--set", "train.steps=-1"], "train.steps must not be negative, got -1"),
    (PRETRAIN, None, ["--steps", "-1"], "train.steps must not be negative, got -1"),
    (PRETRAIN, "[train]\nbatch_size = 0\n", [], "train.batch_size must be at least 1, got 0"),
    (PRETRAIN, None, ["--batch-size", "0"], "train.batch_size must be at least 1, got 0"),
    (PRETRAIN, None, ["--set", "train.learning_rate=-1e-3"], "must not be negative, got -0.001"),
    (PRETRAIN, "[train]\nwarmup_fraction = 1.5\n", [], "must be in [0, 1], got 1.5"),
    (PRETRAIN, None, ["--set", "data.validation_fraction=1"], "must be in [0, 1), got 1"),
    (PRETRAIN, None, ["--set", "run.seed=-1"], "run.seed must be in [0, 4294967295], got -1"),
    (PRETRAIN, None, ["--set", "data.seq_len=0"], "data.seq_len must be at least 1, got 0"),
    (PRETRAIN, None, ["--precision", "fp8"], "run.precision must be one of fp32, bf16, fp16"),
    (PRETRAIN, "[run]\nbackend = 'mxnet'\n", [], "run.backend must be one of tensorflow, jax"),
    (PRETRAIN, None, ["--distribute", "pipe"], 'run.distribute must be one of "", data, model'),
    (PRETRAIN, None, ["--set", "data.txt_mode=page"], "data.txt_mode must be one of auto, line"),
    (PRETRAIN, None, ["--set", "model.size=huge"], "model.size must be one of nano, tiny"),
    (PRETRAIN, None, ["--set", "recipe.mask_rate=1.5"], "need 0 < mask_rate < 1"),
    (
        ["pretrain", "--domain", "legal", "--dry-run"],
        "[domain]\nwindow_word = 100\n",
        [],
        "'domain.window_word' in [domain]; did you mean domain.window_words?",
    ),
    (
        ["pretrain", "--domain", "legal", "--dry-run"],
        None,
        ["--set", "domain.window_words=5"],
        "domain.window_words must be at least 20, got 5",
    ),
    (
        ["pretrain", "--domain", "biomedical-imaging", "--recipe", "dino", "--dry-run"],
        "[recipe]\nteacher_temperature = 0\n",
        [],
        "temperatures must be above 0",
    ),
    # finetune: its own sections, keys and ranges
    (FINETUNE, "[train]\npatience = \n", [], "invalid TOML in"),
    (FINETUNE, "[model]\nsize = 'tiny'\n", [], "no section [model]; sections: run, data, train"),
    (FINETUNE, None, ["--set", "train.patiense=3"], "did you mean train.patience?"),
    (FINETUNE, None, ["--column", "labl=y"], "'data.labl_column' in [data]; did you mean"),
    (FINETUNE, "[train]\nfreeze_backbone = 'yes please'\n", [], "expects bool, got 'yes please'"),
    (FINETUNE, "[data]\nshots = 2.5\n", [], "data.shots expects int, got 2.5"),
    (FINETUNE, None, ["--set", "train.patience=-1"], "train.patience must not be negative"),
    (FINETUNE, None, ["--set", "train.head_warmup_steps=-2"], "must be at least -1, got -2"),
    (FINETUNE, None, ["--layer-decay", "0"], "train.layer_decay must be in (0, 1], got 0"),
    (FINETUNE, None, ["--set", "train.head_learning_rate=0"], "must be above 0, got 0"),
    (FINETUNE, None, ["--shots", "-1"], "data.shots must not be negative, got -1"),
    (FINETUNE, None, ["--epochs", "-2"], "train.epochs must not be negative, got -2"),
    (FINETUNE, None, ["--precision", "fp4"], "run.precision must be one of fp32, bf16, fp16"),
    (FINETUNE, None, ["--task", "dance"], "unknown task 'dance'"),
    # corpus prepare and inspect take --set
    (PREPARE, None, ["--set", "data.seq_len=0"], "data.seq_len must be at least 1, got 0"),
    (PREPARE, None, ["--set", "data.near_duplicate=no"], "did you mean data.near_duplicates?"),
    (PREPARE, None, ["--set", "data.deduplicate=perhaps"], "expects bool, got 'perhaps'"),
    (PREPARE, None, ["--workers", "-1"], "--workers must not be negative, got -1"),
    (INSPECT, None, ["--set", "data.txt_mode=x"], "data.txt_mode must be one of auto"),
    (INSPECT, None, ["--extend-vocab", "-1"], "--extend-vocab must not be negative, got -1"),
    # evaluate, export and predict take no config: their options are checked alike
    (["evaluate", SOURCE], None, ["--backend", "mxnet"], "--backend must be one of tensorflow"),
    (["evaluate", SOURCE], None, ["--seeds", "0"], "--seeds must be at least 1, got 0"),
    (["evaluate", SOURCE], None, ["--shots", "-1"], "--shots must not be negative, got -1"),
    (["export", SOURCE, "--out", "x"], None, ["--format", "onnx"], "unknown export format 'onnx'"),
    (["predict", SOURCE, "hello"], None, ["--top", "0"], "--top must be at least 1, got 0"),
    # flags whose type Click checks itself, and unknown options and commands
    (PRETRAIN, None, ["--steps", "abc"], "Invalid value for '--steps'"),
    (FINETUNE, None, ["--epochs", "many"], "Invalid value for '--epochs'"),
    (PRETRAIN, None, ["--bogus"], "No such option: --bogus"),
    (["frobnicate"], None, [], "No such command 'frobnicate'"),
]


def run_main(args: list[str], monkeypatch, capsys) -> tuple[int, str]:
    """`ssl-domains ARGS` in this process, through the same `main()` as the script."""
    from ssl_domains.cli.main import main

    monkeypatch.setattr(sys, "argv", ["ssl-domains", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    return exited.value.code, captured.out + captured.err


@pytest.mark.parametrize(
    "command, toml, extra, message",
    CASES,
    ids=[
        f"{'-'.join(case[0][: 2 if case[0][0] == 'corpus' else 1])}-{n}"
        for n, case in enumerate(CASES)
    ],
)
def test_a_bad_config_exits_2_with_one_line_that_says_what_is_wrong(
    command, toml, extra, message, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    args = [*command, *extra]
    if toml is not None:
        (tmp_path / "bad.toml").write_text(toml)
        args += ["--config", "bad.toml"]
    code, output = run_main(args, monkeypatch, capsys)
    lines = [line for line in output.splitlines() if line.strip()]
    assert code == 2, output
    assert "Traceback" not in output
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ") and message in lines[0], lines[0]
    assert not (tmp_path / "runs").exists() and not (tmp_path / "prepared").exists()


def test_a_bad_config_fails_before_tensorflow_is_imported(tmp_path):
    probe = (
        "import sys\n"
        "from ssl_domains.cli.main import main\n"
        "for args in (\n"
        "    ['pretrain', '--domain', 'finance', '--set', 'train.batch_size=0'],\n"
        "    ['finetune', 'run', '--set', 'train.patience=-1'],\n"
        "    ['corpus', 'prepare', '--domain', 'finance', '--out', 'p', '--set', 'x.y=1'],\n"
        "    ['evaluate', 'run', '--seeds', '0'],\n"
        "):\n"
        "    sys.argv = ['ssl-domains', *args]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exited:\n"
        "        assert exited.code == 2, args\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'jax', 'torch') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
