"""`new_plugin`: write a complete, installable domain plugin package.

    ssl-domains plugins new claims --modality text --dir .
    pip install -e ./ssl-domains-claims
    ssl-domains pretrain --domain claims --steps 5

The package holds a `DomainAdapter` subclass with every hook written out and
documented, a tiny sample corpus and labeled sample made up for it, a README, and
tests that pass as generated. Templates live beside this module as plain files;
`__NAME__`-style markers are filled in.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from ssl_domains import PLUGIN_API_VERSION, __version__
from ssl_domains.errors import UserError

MODALITIES = ("text", "audio", "image", "image-text")
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


def _template(name: str) -> str:
    return files(__package__).joinpath("templates", name).read_text()


def _fill(text: str, values: dict[str, str]) -> str:
    for marker, value in values.items():
        text = text.replace(marker, value)
    return text


def new_plugin(name: str, modality: str = "text", directory: str | Path = ".") -> Path:
    """Write `ssl-domains-NAME/` under `directory` and return its path.

    Examples:

    ```python
    from ssl_domains.scaffold import new_plugin

    path = new_plugin("claims", "text", "/tmp")  # /tmp/ssl-domains-claims
    ```
    """
    if not NAME.match(name):
        raise UserError(
            f"plugin name {name!r}: use 2-31 lower-case letters, digits and underscores, "
            "starting with a letter"
        )
    if modality not in MODALITIES:
        raise UserError(f"unknown modality {modality!r}; choose one of {', '.join(MODALITIES)}")
    root = Path(directory) / f"ssl-domains-{name.replace('_', '-')}"
    if root.exists():
        raise UserError(f"{root} already exists")
    package = f"ssl_domains_{name}"
    kind = {"text": "text", "audio": "audio", "image-text": "image_text"}.get(modality, "image")
    values = {
        "__NAME__": name,
        "__CLASS__": "".join(part.capitalize() for part in name.split("_")) + "Domain",
        "__PACKAGE__": package,
        "__DIST__": root.name,
        "__MODALITY__": modality,
        "__API__": str(PLUGIN_API_VERSION),
        "__CORE__": __version__,
    }
    layout = {
        "pyproject.toml": "pyproject.toml",
        "README.md": "README.md",
        f"src/{package}/__init__.py": f"{kind}_adapter.py",
        f"tests/test_{name}.py": f"test_{kind}.py",
    }
    for target, template in layout.items():
        path = root / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_fill(_template(template), values))
    data = root / "src" / package / "data"
    data.mkdir()
    _samples(kind, data)
    return root


def _samples(kind: str, data: Path) -> None:
    """The made-up sample corpus and labeled sample of a new plugin."""
    import itertools
    import random

    rng = random.Random(0)
    if kind == "text":
        subjects = ["The claimant", "The insured", "The adjuster", "The policyholder", "The agent"]
        events = [
            "reported water damage in the kitchen",
            "submitted photos of the roof",
            "requested a rental car",
            "disputed the repair estimate",
            "confirmed the police report number",
            "asked about the deductible",
        ]
        tails = [
            "on Monday.",
            "after the storm.",
            "by phone.",
            "through the portal.",
            "before the inspection.",
        ]
        notes = [
            "",
            " The file was updated.",
            " A follow-up is due in two days.",
            " The adjuster will call back.",
            " No payment was issued yet.",
            " Photos are attached to the claim.",
        ]
        combos = list(itertools.product(subjects, events, tails, notes))
        lines = [f"{s} {e} {t}{n}" for s, e, t, n in rng.sample(combos, 300)]
        (data / "corpus.txt").write_text("\n".join(lines) + "\n")
        labels = {"property": events[:2], "service": events[2:]}
        rows = [
            (f"{rng.choice(subjects)} {rng.choice(labels[label])} {rng.choice(tails)}", label)
            for label in labels
            for _ in range(40)
        ]
        _write_csv(data / "labels.csv", ["text", "label"], rows)
    elif kind == "audio":
        import numpy as np
        import soundfile

        audio = data / "audio"
        audio.mkdir()
        rows = []
        for i in range(40):
            label = "low" if i % 2 else "high"
            pitch = rng.uniform(150, 250) if label == "low" else rng.uniform(600, 900)
            t = np.arange(int(16_000 * rng.uniform(0.6, 1.2))) / 16_000
            wave = 0.3 * np.sin(2 * np.pi * pitch * t) * np.hanning(len(t))
            name = f"tone-{i:02d}.wav"
            soundfile.write(audio / name, wave.astype("float32"), 16_000)
            rows.append((f"audio/{name}", label))
        _write_csv(data / "labels.csv", ["path", "label"], rows)
    else:
        import numpy as np
        from PIL import Image

        images = data / "images"
        images.mkdir()
        rows = []
        noise = np.random.default_rng(0)
        for i in range(80):
            label = "striped" if i % 2 else "plain"
            tile = np.full((32, 32, 3), rng.randrange(80, 200), np.float32)
            if label == "striped":
                tile[:, rng.randrange(4) :: 4] = 255
            tile += noise.normal(0, 12, tile.shape)  # no two tiles alike
            name = f"tile-{i:02d}.png"
            Image.fromarray(np.clip(tile, 0, 255).astype(np.uint8)).save(images / name)
            shade = "dark" if tile.mean() < 140 else "light"
            rows.append((f"images/{name}", label, f"a {shade} {label} tile"))
        _write_csv(data / "labels.csv", ["path", "label", "caption"], rows)


def _write_csv(path: Path, header: list[str], rows) -> None:
    import csv

    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
