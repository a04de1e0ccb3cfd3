"""Install-free fake plugin distributions: a `.dist-info` folder on a path entry."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_distribution(root: Path, name: str, entry_points: str, modules: dict[str, str]) -> Path:
    """Make `root` hold distribution `name` with these entry points and modules."""
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
    return root


def broken_plugins(root: Path) -> Path:
    """One plugin that raises on import, one written for another API version, one that
    is not a DomainAdapter at all."""
    return write_distribution(
        root,
        "broken-plugins",
        """
        [ssl_domains.domains]
        exploding = exploding_domain:ExplodingDomain
        ancient = ancient_domain:AncientDomain
        notadomain = ancient_domain:NotADomain
        """,
        {
            "exploding_domain": "raise RuntimeError('boom at import')\n",
            "ancient_domain": """
                from ssl_domains import TextDomain

                class AncientDomain(TextDomain):
                    name = "ancient"
                    description = "Written for plugin API 0."
                    default_recipe = "mlm"
                    api_version = 0

                class NotADomain:
                    name = "notadomain"
            """,
        },
    )
