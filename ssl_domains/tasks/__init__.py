"""Fine-tuning tasks: what a labeled row is, the head, the loss, the report, serving.

A task is named by what it predicts, and the source's modality picks the class that
does it: `--task classification` is `Classification` on a text model and
`AudioClassification` on a speech model. Tasks are plugins: the entry-point group
`ssl_domains.tasks` names a `TaskEntry` for each (`ssl_domains.tasks.catalog`), which
says the word, the modality and where the class lives, so that the CLI's help, config
checks and task resolution read it without importing Keras. `task_class` imports a
class when a run needs it.

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

from ssl_domains.errors import UserError
from ssl_domains.plugin.modality import modality as modality_object
from ssl_domains.tasks.catalog import TaskEntry

DEFAULT_WORD = "classification"


def task_entries(plugins=None) -> list[TaskEntry]:
    """The installed tasks (entry-point group `ssl_domains.tasks`), text first, then
    by modality and name. `plugins`: a `Registry` (default: the installed plugins)."""
    from ssl_domains.plugin.registry import registry

    return (plugins or registry()).task_entries()


def task_words(plugins=None) -> dict[str, list[str]]:
    """Each word `--task` takes, with the modalities it applies to, in `task_entries` order."""
    words: dict[str, list[str]] = {}
    for entry in task_entries(plugins):
        words.setdefault(entry.word, []).append(entry.modality)
    return words


def tasks_help(plugins=None) -> str:
    """What `--task` takes, for the CLI's help: each word and its modalities."""
    listed = ", ".join(f"{word} ({', '.join(m)})" for word, m in task_words(plugins).items())
    aliases = [e for e in task_entries(plugins) if e.name != e.word]
    also = "; ".join(f"{e.name} is {e.word} on {e.modality}" for e in aliases)
    return f"{listed}. Default: {DEFAULT_WORD}" + (f". Also accepted: {also}" if also else "")


def check_task(value: str, plugins=None) -> None:
    """Reject a `--task` that names no task at all (light: no Keras)."""
    names = {e.name for e in task_entries(plugins)}
    if value not in task_words(plugins) and value not in names:
        raise UserError(f"unknown task {value!r}; tasks: {tasks_help(plugins)}")


def resolve_task(value: str, modality: str | None, source: str = "the source", plugins=None) -> str:
    """The `name` of the task `value` means on a `modality` model.

    `value` is a word (`classification`) or a task's own name (`audio-classification`);
    empty means the modality's default task (`Modality.default_task`), `classification`
    for no modality. `modality` None (a preset ssl-domains did not write,
    with no `--domain`) takes a word as its text task, as keras-hub presets mostly are.
    A task of another modality is a `UserError` that names the ones that apply.
    """
    if not value:
        value = modality_object(modality).default_task if modality else DEFAULT_WORD
    check_task(value, plugins)
    matches = [e for e in task_entries(plugins) if value in (e.word, e.name)]
    if modality is None:
        return matches[0].name  # entries come text first
    for entry in matches:
        if entry.modality == modality:
            return entry.name
    applies = " and ".join(sorted({e.modality for e in matches}))
    words = task_words(plugins)
    offered = [word for word, modalities in words.items() if modality in modalities]
    if not offered:
        raise UserError(f"--task {value} is for {applies} models; no task fine-tunes {modality}")
    choices = offered[0] if len(offered) == 1 else f"{', '.join(offered[:-1])} or {offered[-1]}"
    raise UserError(
        f"--task {value} is for {applies} models, but {source} is {modality}; "
        f"for {modality} pass --task {choices}"
    )


def task_class(name: str, plugins=None):
    """The `Task` subclass of a task's `name` (imports Keras, so call it late)."""
    entry = next((e for e in task_entries(plugins) if e.name == name), None)
    if entry is None:
        raise UserError(f"unknown task {name!r}; tasks: {tasks_help(plugins)}")
    module, _, attribute = entry.target.partition(":")
    return getattr(importlib.import_module(module), attribute)
