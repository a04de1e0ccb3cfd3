"""`TaskEntry`, what the `ssl_domains.tasks` entry-point group names, and ours.

An entry point of that group names a `TaskEntry`, not the task class: the entry says
the word a user types and the modality in plain data, so that the CLI's help and
config checks read it without importing Keras, and the class is imported only when
a run needs it. A third-party package registers a task as ours are registered:

```toml
[project.entry-points."ssl_domains.tasks"]
histology-grading = "histology_tasks.entries:GRADING"
```

where `GRADING = TaskEntry("grading", "image", "histology-grading",
"histology_tasks.grading:Grading")` lives in a module that imports no Keras.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskEntry:
    """One task class: the word a user types, the modality it applies to, and where
    the class lives. `name` is the class's own `name`, unique across modalities: it
    is what `run.toml` and `task.json` record, and `--task` accepts it too."""

    word: str
    modality: str
    name: str
    target: str  # "module:Class"


CLASSIFICATION = TaskEntry(
    "classification",
    "text",
    "classification",
    "ssl_domains.text.tasks.classification:Classification",
)
PAIR_CLASSIFICATION = TaskEntry(
    "pair-classification",
    "text",
    "pair-classification",
    "ssl_domains.text.tasks.classification:PairClassification",
)
REGRESSION = TaskEntry(
    "regression", "text", "regression", "ssl_domains.text.tasks.regression:Regression"
)
TOKEN_CLASSIFICATION = TaskEntry(
    "token-classification",
    "text",
    "token-classification",
    "ssl_domains.text.tasks.token_classification:TokenClassification",
)
AUDIO_CLASSIFICATION = TaskEntry(
    "classification", "audio", "audio-classification", "ssl_domains.audio.tasks:AudioClassification"
)
CTC = TaskEntry("ctc", "audio", "ctc", "ssl_domains.audio.tasks:CTCRecognition")
IMAGE_CLASSIFICATION = TaskEntry(
    "classification", "image", "image-classification", "ssl_domains.image.tasks:ImageClassification"
)
