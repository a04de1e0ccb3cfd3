"""ssl-domains: continue self-supervised pretraining on a domain corpus, fine-tune, export.

Importing this package is cheap: TensorFlow, Keras and keras-hub load only when a
command needs them, so plugin discovery and `ssl-domains --help` stay fast.
"""

__version__ = "0.1.0"

# The plugin API a domain or recipe declares (`api_version`). Bump on breaking changes.
PLUGIN_API_VERSION = 1

from ssl_domains.domain import DomainAdapter, TextDomain  # noqa: E402
from ssl_domains.errors import UserError  # noqa: E402
from ssl_domains.recipe import Recipe  # noqa: E402
from ssl_domains.rules import Rule  # noqa: E402

__all__ = ["DomainAdapter", "PLUGIN_API_VERSION", "Recipe", "Rule", "TextDomain", "UserError"]
