"""Fine-tuning tasks: what a labeled row is, the head, the loss, the report, serving."""

from __future__ import annotations


def task_class(name: str):
    """The `Task` subclass for a task name (imports Keras, so call it late)."""
    from ssl_domains.tasks.audio import AudioClassification, CTCRecognition
    from ssl_domains.tasks.classification import Classification, PairClassification
    from ssl_domains.tasks.regression import Regression
    from ssl_domains.tasks.token_classification import TokenClassification

    tasks = (
        Classification,
        PairClassification,
        Regression,
        TokenClassification,
        AudioClassification,
        CTCRecognition,
    )
    return {cls.name: cls for cls in tasks}[name]
