"""Where `--from SOURCE` points: a run, a preset directory, or a remote handle."""

from __future__ import annotations

from pathlib import Path

from ssl_domains.errors import UserError


def resolve_source(source: str) -> str:
    """Where to load `--from SOURCE`: a local preset directory or a remote handle."""
    path = Path(source).expanduser()
    if path.is_dir():
        if (path / "run.toml").is_file():
            preset = path / "preset"
            if not (preset / "config.json").is_file():
                raise UserError(f"run {source} has no preset yet; did it finish?")
            return str(preset)
        if not (path / "config.json").is_file():
            raise UserError(f"not a preset directory (no config.json): {source}")
        return str(path)
    if path.exists():
        raise UserError(f"--from expects a directory or a preset name, got a file: {source}")
    if "/" in source and "://" not in source or source.startswith((".", "~")):
        raise UserError(f"preset directory not found: {source}")
    return source  # a keras-hub preset name or a kaggle:// / hf:// handle: network


def source_info(location: str) -> dict:
    """The provenance ssl-domains saved with a local preset (`ssl_domains.json`), if any."""
    import json

    path = Path(location) / "ssl_domains.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def source_domain(source: str, name: str, plugins):
    """The domain class `name`s, or else the one recorded in the source's preset
    (None if neither), looked up in `plugins` (a `Registry`): what decides text or
    audio when the user does not say."""
    name = name or source_info(resolve_source(source)).get("domain")
    return plugins.domain(name) if name else None
