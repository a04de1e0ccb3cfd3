"""Version numbers, in a module that imports nothing, so any module may read them."""

__version__ = "0.1.0"

# The plugin API a domain or recipe declares (`api_version`). Bump on breaking changes.
PLUGIN_API_VERSION = 1
