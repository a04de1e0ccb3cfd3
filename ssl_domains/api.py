"""The plugin API: all that a domain, recipe or task plugin imports from ssl-domains.

Plugins and recipes, first-party ones included, import from this module and from
no other module of the core (`tests/test_architecture.py` holds ours to it), so the
core can be reorganised without breaking them. `PLUGIN_API_VERSION` changes when a
name here changes meaning.

Importing it stays cheap: plugin discovery imports every plugin, so the names that
live in modules loading TensorFlow or Keras are resolved on first use.

```python
from ssl_domains.api import Rule, TextDomain

class ClaimsDomain(TextDomain):
    name = "claims"
    description = "Insurance claim notes."
    default_recipe = "mlm"

    def normalizations(self):
        return [Rule("claim_id", r"\\bCLM-\\d+\\b", "[CLAIM]")]
```
"""

from __future__ import annotations

import importlib
from typing import Any

from ssl_domains.corpus import find_files, open_binary
from ssl_domains.domain import AudioDomain, DomainAdapter, NoOptions, TextDomain
from ssl_domains.errors import UserError
from ssl_domains.recipe import Recipe
from ssl_domains.records import BadFile, BadRecord, ReadOptions
from ssl_domains.rules import Rule, apply_rules
from ssl_domains.tasks.catalog import TaskEntry
from ssl_domains.version import PLUGIN_API_VERSION

# Name -> the module that defines it, imported when the name is first used.
_ON_FIRST_USE = {
    # audio signals
    "read_audio": "ssl_domains.audio",
    # text batches and baselines, for text recipes
    "chunk_tokens": "ssl_domains.text",
    "pack_tokens": "ssl_domains.text",
    "unigram_counts": "ssl_domains.text",
    "domain_normalizer": "ssl_domains.text",
    # keras-hub families: task classes and where words start
    "class_for": "ssl_domains.families",
    "family_names": "ssl_domains.families",
    "hugging_face_family": "ssl_domains.families",
    "hugging_face_head": "ssl_domains.families",
    "vocabulary": "ssl_domains.families",
    "word_start": "ssl_domains.families",
    # fine-tuning tasks, to subclass (a `TaskEntry` registers one)
    "Task": "ssl_domains.tasks.base",
    "Classification": "ssl_domains.tasks.classification",
    # weights
    "copy_weights_growing": "ssl_domains.vocabulary",
    "without_optimizer": "ssl_domains.trainer",
    # for a plugin's own tests: read its corpus and labels as the core does
    "prepare_corpus": "ssl_domains.prepare",
    "read_labeled": "ssl_domains.labeled",
    "class_names": "ssl_domains.labeled",
    "Registry": "ssl_domains.registry",
}

__all__ = [
    "AudioDomain",
    "BadFile",
    "BadRecord",
    "DomainAdapter",
    "NoOptions",
    "PLUGIN_API_VERSION",
    "ReadOptions",
    "Recipe",
    "Rule",
    "TaskEntry",
    "TextDomain",
    "UserError",
    "apply_rules",
    "find_files",
    "open_binary",
    *_ON_FIRST_USE,
]


def __getattr__(name: str) -> Any:
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module 'ssl_domains.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(_ON_FIRST_USE[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
