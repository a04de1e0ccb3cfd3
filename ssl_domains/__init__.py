"""ssl-domains: continue self-supervised pretraining on a domain corpus, fine-tune, export.

Importing this package is cheap: TensorFlow, Keras and keras-hub load only when a
command needs them, so plugin discovery and `ssl-domains --help` stay fast.

It also makes the presets ssl-domains writes load with keras-hub's own `from_preset`:
they name Keras classes of ours (`DomainTokenizer` in `tokenizer.json` and
`task.json`, `Wav2Vec2Backbone` in a speech preset's `config.json`), and Keras finds
a class only in its registry of imported classes (it imports a config's `module`
only for Keras' own packages). So the modules that define them are imported as soon
as keras-hub is: now, if it already is, else right after its first import.

```python
import keras_hub
import ssl_domains  # either order

preset = "runs/finance-mlm-20261128-101500/preset"
tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(preset)  # a DomainTokenizer
masked_lm = keras_hub.models.MaskedLM.from_preset(preset)
```
"""

import importlib
import importlib.abc
import importlib.util
import sys

from ssl_domains.errors import UserError  # noqa: E402
from ssl_domains.plugin.domain_adapter import DomainAdapter
from ssl_domains.plugin.recipe import Recipe  # noqa: E402
from ssl_domains.text.domain import TextDomain  # noqa: E402
from ssl_domains.text.rules import Rule  # noqa: E402
from ssl_domains.version import PLUGIN_API_VERSION, __version__  # noqa: E402

__all__ = [
    "DomainAdapter",
    "PLUGIN_API_VERSION",
    "Recipe",
    "Rule",
    "TextDomain",
    "UserError",
    "__version__",
    "register_keras_classes",
]

# Modules whose Keras classes the presets ssl-domains writes name.
KERAS_MODULES = (
    "ssl_domains.text.tokenizer",
    "ssl_domains.recipes.wav2vec2.backbone",
    "ssl_domains.image_text.dual_encoder",
)


def register_keras_classes() -> None:
    """Register the Keras classes our presets name (imports keras-hub and TensorFlow)."""
    for module in KERAS_MODULES:
        importlib.import_module(module)


class _AfterKerasHub(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `keras_hub` as Python would, and registers our classes once it has run.

    It steps in only while keras-hub is first imported: the module keeps keras-hub's
    own loader, and the finder leaves `sys.meta_path` once our classes are registered.
    """

    def __init__(self):
        self.looking = False
        self.loader = None  # keras-hub's, while its import runs

    def find_spec(self, name, path=None, target=None):
        if name != "keras_hub" or self.looking:
            return None
        self.looking = True  # the other finders answer
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self.looking = False
        if spec is not None and spec.loader is not None:
            self.loader, spec.loader = spec.loader, self
        return spec

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__spec__.loader = module.__loader__ = self.loader
        self.loader.exec_module(module)
        sys.meta_path.remove(self)
        try:
            register_keras_classes()
        except Exception as error:  # never break `import keras_hub`
            import warnings

            message = f"ssl-domains presets will not load: {error}"
            warnings.warn(message, ImportWarning, stacklevel=2)


if "keras_hub" in sys.modules:
    register_keras_classes()
elif not any(isinstance(finder, _AfterKerasHub) for finder in sys.meta_path):
    sys.meta_path.insert(0, _AfterKerasHub())
