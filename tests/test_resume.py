"""Faults during training: exact resume, checkpoints, preemption and the run lock."""

from __future__ import annotations

import itertools
import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import tensorflow as tf
from conftest import QUICK, metrics, run_cli

from ssl_domains.training import checkpoints
from ssl_domains.training.data_position import ResumableBatches
from ssl_domains.training.run_lock import RunInUse, RunLock


def example_ids(seed=0):
    """Batches of example ids, shuffled in a buffer, as a corpus's records would be."""
    return tf.data.Dataset.range(500).shuffle(64, seed=seed).batch(4)


def test_a_saved_position_skips_nothing_and_repeats_nothing(tmp_path):
    straight = ResumableBatches(example_ids()).generator()
    expected = [next(straight).tolist() for _ in range(200)]  # 160 batches a pass

    cut = ResumableBatches(example_ids())
    read = cut.generator()
    for _ in range(153):
        next(read)  # trained on 150; Keras had read 3 ahead
    cut.mark_trained(150)
    cut.save(tmp_path, trained=150)

    resumed = ResumableBatches(example_ids())
    assert resumed.restore(tmp_path) == 150
    again = resumed.generator()
    assert [next(again).tolist() for _ in range(50)] == expected[150:]


def test_a_new_reader_starts_at_the_first_batch_not_trained_on():
    """Keras opens a reader to peek at one batch when it builds a model's metrics, then
    drops it with what its prefetch read ahead; each fit opens another. No batch may be
    lost between them (several processes training one model must agree on them)."""
    straight = ResumableBatches(example_ids()).generator()
    expected = [next(straight).tolist() for _ in range(12)]

    stream = ResumableBatches(example_ids())
    peek = iter(stream.as_dataset())
    next(peek)  # and its prefetch reads on
    time.sleep(0.2)
    fit = iter(stream.as_dataset())
    assert [next(fit).numpy().tolist() for _ in range(5)] == expected[:5]
    assert len(list(itertools.islice(peek, 20))) < 20  # the dropped reader has ended
    assert [next(fit).numpy().tolist() for _ in range(2)] == expected[5:7]
    stream.mark_trained(3)  # Keras read 2 ahead of the model
    next_fit = iter(stream.as_dataset())
    assert [next(next_fit).numpy().tolist() for _ in range(9)] == expected[3:12]


def test_restoring_a_position_does_not_read_the_data_before_it(tmp_path):
    """The cost of a restore does not grow with the step (no replay of skipped batches)."""
    seen = []

    def recorded():
        def note(i):
            seen.append(int(i))
            return i

        return (
            tf.data.Dataset.range(10**9).map(lambda i: tf.py_function(note, [i], tf.int64)).batch(2)
        )

    stream = ResumableBatches(recorded())
    read = stream.generator()
    for _ in range(1000):
        next(read)
    stream.save(tmp_path, trained=1000)
    del stream, read  # its pipeline reads no further
    seen.clear()
    resumed = ResumableBatches(recorded())
    resumed.restore(tmp_path)
    again = resumed.generator()
    # Enough batches that some must be computed anew, past what the buffers hold.
    assert [next(again).tolist() for _ in range(200)][:2] == [[2000, 2001], [2002, 2003]]
    # Buffered elements come back from the checkpoint; nothing before them is read again.
    assert seen and min(seen) >= 2000


def test_a_damaged_newest_checkpoint_is_skipped_with_a_line(tmp_path):
    def fill(folder):
        (folder / checkpoints.WEIGHTS).write_bytes(os.urandom(4096))

    for step in (10, 20, 30):
        checkpoints.write(tmp_path, step, fill, keep=3)
    newest = tmp_path / "step-0000030" / checkpoints.WEIGHTS
    newest.write_bytes(newest.read_bytes()[:1000])  # truncated after the rename
    (tmp_path / "step-0000040").mkdir()  # a folder without a manifest
    lines = []
    found = checkpoints.newest_complete(tmp_path, lines.append)
    assert found.step == 20
    assert lines == [
        "skipping checkpoint step-0000040: no readable manifest",
        f"skipping checkpoint step-0000030: {checkpoints.WEIGHTS} is 1000 bytes, not 4096",
    ]


def test_a_checkpoint_is_read_through_once_and_again_after_it_changes(tmp_path, monkeypatch):
    checkpoints.write(tmp_path, 10, lambda f: (f / checkpoints.WEIGHTS).write_bytes(b"w" * 64), 3)
    read = []
    real_digest = checkpoints.digest
    monkeypatch.setattr(checkpoints, "digest", lambda path: read.append(path) or real_digest(path))
    for _ in range(2):  # a resume asks twice: the pipeline, then the trainer
        assert checkpoints.newest_complete(tmp_path).step == 10
    assert len(read) == 1
    weights = tmp_path / "step-0000010" / checkpoints.WEIGHTS
    weights.write_bytes(b"x" * 64)  # same size, other bytes
    lines = []
    assert checkpoints.newest_complete(tmp_path, lines.append) is None
    assert lines == [
        f"skipping checkpoint step-0000010: {checkpoints.WEIGHTS} does not match its checksum"
    ]


def test_only_the_newest_checkpoints_are_kept_and_a_killed_save_leaves_no_finished_folder(
    tmp_path,
):
    def fill(folder):
        (folder / checkpoints.WEIGHTS).write_text("w")

    for step in range(1, 6):
        checkpoints.write(tmp_path, step, fill, keep=3)
    assert [c.step for c in checkpoints.listed(tmp_path)] == [3, 4, 5]

    def killed(folder):
        (folder / checkpoints.WEIGHTS).write_text("half")
        raise KeyboardInterrupt  # the process dies here

    with pytest.raises(KeyboardInterrupt):
        checkpoints.write(tmp_path, 6, killed, keep=3)
    assert checkpoints.newest_complete(tmp_path).step == 5
    checkpoints.remove_partials(tmp_path)  # what the next fit does first
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "step-0000003",
        "step-0000004",
        "step-0000005",
    ]


def test_a_full_disk_during_a_save_is_one_line_and_the_previous_checkpoint_stays(tmp_path):
    """A file-size limit (RLIMIT_FSIZE) stands in for a small file system: the write
    that crosses it fails as it would on a full disk."""
    script = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        from ssl_domains.training import checkpoints
        root = Path({str(tmp_path)!r})
        small = lambda folder: (folder / checkpoints.WEIGHTS).write_bytes(b"x" * 1000)
        big = lambda folder: (folder / checkpoints.WEIGHTS).write_bytes(os.urandom(10**6))
        checkpoints.write(root, 1, small, keep=3)
        try:
            checkpoints.write(root, 2, big, keep=3)
        except checkpoints.CheckpointError as error:
            print(error)
        """
    )

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, not the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, preexec_fn=limit
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == [
        f"could not save checkpoint step 2 in {tmp_path}: File too large; "
        "checkpoint step 1 is intact"
    ]
    assert checkpoints.newest_complete(tmp_path).step == 1
    assert [p.name for p in tmp_path.iterdir()] == ["step-0000001"]


def test_a_second_writer_is_refused_naming_the_pid_and_a_dead_ones_lock_is_taken_over(
    tmp_path,
):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from ssl_domains.training.run_lock import RunLock; "
            f"RunLock({str(tmp_path)!r}).acquire(); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunInUse, match=rf"is in use by pid {holder.pid} on "):
            RunLock(tmp_path).acquire()
    finally:
        holder.kill()  # kill -9 leaves its pid in the lock file
        holder.wait()
    lines = []
    with RunLock(tmp_path, report=lines.append):
        assert (tmp_path / ".lock").read_text().startswith(f"pid {os.getpid()} on ")
    host = os.uname().nodename
    assert lines == [f"taking over the lock of {tmp_path} from pid {holder.pid} on {host}, gone"]


@pytest.mark.slow
def test_sigterm_saves_the_step_it_was_on_and_resume_loses_no_step(tmp_path, small_corpus):
    run = tmp_path / "run"
    args = ["pretrain", "--domain", "finance", "--corpus", str(small_corpus), *QUICK]
    args += ["--steps", "40", "--run-dir", str(run), "--set", "train.log_every=1"]
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ssl_domains.cli.main", *args],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    while not (run / "metrics.jsonl").is_file() or len(metrics(run)) < 5:
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 143, stderr
    logged = [m["step"] for m in metrics(run) if "loss" in m]
    saved = checkpoints.newest_complete(run / "checkpoints").step
    assert saved == logged[-1] and 5 <= saved < 40  # the step it was on, not an older one
    assert f"Continue with: --resume {run}" in " ".join(stderr.split())

    resumed = run_cli("pretrain", "--resume", str(run))
    assert resumed.returncode == 0, resumed.output
    steps = [m["step"] for m in metrics(run) if "loss" in m]
    assert steps == list(range(1, 41))  # every step logged once
    assert json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])["final"]
    assert np.isfinite(metrics(run)[-1]["masked_accuracy"])


@pytest.mark.slow
def test_an_interrupted_fine_tuning_resumes_to_the_report_of_an_uninterrupted_one(
    tmp_path, pretrained_run, labeled_files
):
    data = labeled_files["classification"]
    args = ["finetune", str(pretrained_run), "--data", str(data), "--epochs", "4"]
    args += ["--seq-len", "32", "--batch-size", "16", "--learning-rate", "3e-3"]
    args += ["--set", "train.log_every=1"]  # windows of one step: comparable across a cut
    straight = run_cli(*args, "--run-dir", str(tmp_path / "straight"))
    assert straight.returncode == 0, straight.output
    # Stopped in the middle of an epoch, which the resumed run finishes and judges whole.
    cut = run_cli(*args, "--run-dir", str(tmp_path / "cut"), "--set", "train.stop_at=5")
    assert cut.returncode == 0, cut.output
    # Its position is row numbers read ahead, never the labeled rows themselves.
    (pending,) = (tmp_path / "cut" / "checkpoints").glob("step-*/data/pending.npz")
    with np.load(pending) as saved:
        rows = [saved[k] for k in saved.files if k != "_layout"]
    assert rows and all(r.dtype == np.int64 and r.shape == (16,) for r in rows)
    resumed = run_cli("finetune", "--resume", str(tmp_path / "cut"))
    assert resumed.returncode == 0, resumed.output
    assert "resuming from step 5" in resumed.stderr

    def report(run):
        return json.loads((run / "report.json").read_text())

    expected, got = report(tmp_path / "straight"), report(tmp_path / "cut")
    # A finished fine-tuning keeps its model, not the checkpoints.
    assert not (tmp_path / "cut" / "checkpoints").exists()
    assert got["accuracy"] == pytest.approx(expected["accuracy"], abs=1e-6)
    assert got["macro_f1"] == pytest.approx(expected["macro_f1"], abs=1e-6)
    losses = [m for m in metrics(tmp_path / "cut") if "loss" in m]
    assert [m["step"] for m in losses] == sorted({m["step"] for m in losses})
    reference = [m["loss"] for m in metrics(tmp_path / "straight") if "loss" in m]
    assert [m["loss"] for m in losses] == pytest.approx(reference, rel=1e-4)


@pytest.mark.slow
def test_an_ema_teacher_run_resumes_to_the_losses_of_an_uninterrupted_one(tmp_path):
    """BYOL: the target network (an EMA of the online one), its momentum schedule and
    the random image views all come back from the checkpoint."""
    args = ["pretrain", "--domain", "biomedical-imaging", "--recipe", "byol"]
    args += ["--steps", "12", "--batch-size", "16", "--set", "train.checkpoint_every=4"]
    args += ["--set", "train.log_every=2"]
    straight = run_cli(*args, "--run-dir", str(tmp_path / "straight"))
    assert straight.returncode == 0, straight.output
    cut = run_cli(*args, "--run-dir", str(tmp_path / "cut"), "--set", "train.stop_at=6")
    assert cut.returncode == 0, cut.output
    resumed = run_cli("pretrain", "--resume", str(tmp_path / "cut"))
    assert resumed.returncode == 0, resumed.output

    def losses(run):
        return {m["step"]: m["loss"] for m in metrics(run) if "loss" in m}

    expected, got = losses(tmp_path / "straight"), losses(tmp_path / "cut")
    assert list(got) == list(expected) == list(range(2, 13, 2))
    assert list(got.values()) == pytest.approx(list(expected.values()), rel=1e-5)
    final = metrics(tmp_path / "cut")[-1]
    assert final["byol_loss"] == pytest.approx(metrics(tmp_path / "straight")[-1]["byol_loss"])
