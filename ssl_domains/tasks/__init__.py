"""Fine-tuning tasks: what a labeled row is, the head, the loss, the report, serving.

A task is named by what it predicts, and the source's modality picks the class that
does it: `--task classification` is `Classification` on a text model and
`AudioClassification` on a speech model. `TASKS` says which task classes exist, for
which modality and under which word, the way entry points name plugins: as
`module:Class` strings, so that the CLI's help, config checks and task resolution
read it without importing Keras. `task_class` imports a class when a run needs it.

Examples:

```python
from ssl_domains.tasks import resolve_task, task_class

resolve_task("classification", "audio")  # 'audio-classification'
resolve_task("ctc", "text")  # UserError: ...; for text pass --task classification, ...
cls = task_class("audio-classification")  # AudioClassification (imports Keras)
```
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ssl_domains.errors import UserError

DEFAULT_WORD = "classification"


@dataclass(frozen=True)
class TaskEntry:
    """One task class: the word a user types, the modality it applies to, and where
    the class lives. `name` is the class's own `name`, unique across modalities: it
    is what `run.toml` and `task.json` record, and `--task` accepts it too."""

    word: str
    modality: str
    name: str
    target: str  # "module:Class"


TASKS = (
    TaskEntry(
        "classification",
        "text",
        "classification",
        "ssl_domains.tasks.classification:Classification",
    ),
    TaskEntry(
        "pair-classification",
        "text",
        "pair-classification",
        "ssl_domains.tasks.classification:PairClassification",
    ),
    TaskEntry("regression", "text", "regression", "ssl_domains.tasks.regression:Regression"),
    TaskEntry(
        "token-classification",
        "text",
        "token-classification",
        "ssl_domains.tasks.token_classification:TokenClassification",
    ),
    TaskEntry(
        "classification",
        "audio",
        "audio-classification",
        "ssl_domains.tasks.audio:AudioClassification",
    ),
    TaskEntry("ctc", "audio", "ctc", "ssl_domains.tasks.audio:CTCRecognition"),
)


def task_words() -> dict[str, list[str]]:
    """Each word `--task` takes, with the modalities it applies to, in `TASKS` order."""
    words: dict[str, list[str]] = {}
    for entry in TASKS:
        words.setdefault(entry.word, []).append(entry.modality)
    return words


def tasks_help() -> str:
    """What `--task` takes, for the CLI's help: each word and its modalities."""
    listed = ", ".join(f"{word} ({', '.join(m)})" for word, m in task_words().items())
    aliases = [e for e in TASKS if e.name != e.word]
    also = "; ".join(f"{e.name} is {e.word} on {e.modality}" for e in aliases)
    return f"{listed}. Default: {DEFAULT_WORD}" + (f". Also accepted: {also}" if also else "")


def check_task(value: str) -> None:
    """Reject a `--task` that names no task at all (light: no Keras)."""
    if value not in task_words() and value not in {e.name for e in TASKS}:
        raise UserError(f"unknown task {value!r}; tasks: {tasks_help()}")


def resolve_task(value: str, modality: str | None, source: str = "the source") -> str:
    """The `name` of the task `value` means on a `modality` model.

    `value` is a word (`classification`) or a task's own name (`audio-classification`);
    empty means `classification`. `modality` None (a preset ssl-domains did not write,
    with no `--domain`) takes a word as its text task, as keras-hub presets mostly are.
    A task of another modality is a `UserError` that names the ones that apply.
    """
    value = value or DEFAULT_WORD
    check_task(value)
    matches = [e for e in TASKS if value in (e.word, e.name)]
    if modality is None:
        return next((e for e in matches if e.modality == "text"), matches[0]).name
    for entry in matches:
        if entry.modality == modality:
            return entry.name
    applies = " and ".join(sorted({e.modality for e in matches}))
    offered = [word for word, modalities in task_words().items() if modality in modalities]
    if not offered:
        raise UserError(f"--task {value} is for {applies} models; no task fine-tunes {modality}")
    choices = offered[0] if len(offered) == 1 else f"{', '.join(offered[:-1])} or {offered[-1]}"
    raise UserError(
        f"--task {value} is for {applies} models, but {source} is {modality}; "
        f"for {modality} pass --task {choices}"
    )


def task_class(name: str):
    """The `Task` subclass of a task's `name` (imports Keras, so call it late)."""
    entry = next((e for e in TASKS if e.name == name), None)
    if entry is None:
        raise UserError(f"unknown task {name!r}; tasks: {tasks_help()}")
    module, _, attribute = entry.target.partition(":")
    return getattr(importlib.import_module(module), attribute)
