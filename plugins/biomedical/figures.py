"""The `biomedical-figures` domain: figure panels with their captions, for CLIP pretraining.

What is special about biomedical figures with captions:
- the caption is the label a figure comes with: it says what is drawn (the kind of
  cell, how many, the stain, how they lie), so contrastive pretraining on pairs learns
  a model that classifies figures from class names alone (zero-shot);
- captions are clinical text: they carry the same identifiers as notes (a case's
  medical record number, a patient's name) and the same spellings of quantities, so
  they go through the `biomedical` domain's redactions (counted while the corpus is
  read, and again inside the exported model) and normalisations.

The embedded sample is synthetic, made by `generate` below: 480 panels of 64x64
pixels, each one to four cells of one shape (round, square or triangular) stained
purple (haematoxylin), pink (eosin) or brown (DAB), laid out in a row, a column, a
diagonal or scattered, on a pale noisy background, with a caption that says all four
in one of several phrasings (and, one time in ten, a case number that is redacted).
Nothing but the image tells a caption apart, so matching them needs the picture;
`labels.csv` (held out, from another seed) holds 40 panels per shape with a `label`
column (`round cells`, `square cells`, `triangular cells`) and their captions, for
zero-shot classification and retrieval. Like `biomedical-imaging`'s tiles, the
panels are written on first use into a cache folder (a second or two), not shipped.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ssl_domains.api import ImageTextDomain, Rule

VERSION = 2
SIZE = 64
SHAPES = {"round": "circle", "square": "square", "triangular": "triangle"}
STAINS = {"purple": (110, 60, 150), "pink": (220, 110, 170), "brown": (140, 90, 40)}
COUNTS = {1: "a single", 2: "two", 3: "three", 4: "four"}
LAYOUTS = {
    "row": "in a row",
    "column": "in a column",
    "diagonal": "along a diagonal",
    "scattered": "scattered across the field",
}
TEMPLATES = (
    "{count} {stain} {shape} {cells} {layout}",
    "a panel of {count} {shape} {cells} stained {stain}, {layout}",
    "micrograph: {count} {stain}-stained {shape} {cells} {layout}",
    "{count} {shape} {cells} {layout}, {stain} stain",
)
PROMPTS = ("a figure of {}", "a panel of {}", "a micrograph of {}")


def _positions(rng, layout: str, count: int, radius: int):
    margin = radius + 3
    span = SIZE - 2 * margin
    steps = [margin + span * (i + 0.5) / count for i in range(count)]
    centre = SIZE / 2 + rng.uniform(-6, 6)
    if layout == "row":
        return [(x, centre + rng.uniform(-2, 2)) for x in steps]
    if layout == "column":
        return [(centre + rng.uniform(-2, 2), y) for y in steps]
    if layout == "diagonal":
        flip = rng.random() < 0.5
        return [(x, SIZE - x if flip else x) for x in steps]
    points = []
    while len(points) < count:
        p = (rng.uniform(margin, SIZE - margin), rng.uniform(margin, SIZE - margin))
        if all((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 > (2.2 * radius) ** 2 for q in points):
            points.append(p)
    return points


def draw(rng, shape: str, stain: str, count: int, layout: str):
    """One panel: uint8 `(64, 64, 3)`."""
    import numpy as np
    from PIL import Image, ImageDraw

    background = np.array([245, 232, 238]) + rng.normal(0, 6, 3)
    pixels = np.clip(background + rng.normal(0, 7, (SIZE, SIZE, 3)), 0, 255).astype("uint8")
    image = Image.fromarray(pixels)
    pen = ImageDraw.Draw(image)
    radius = int(rng.integers(5, 8)) if count < 4 else 5
    colour = tuple(int(c + rng.normal(0, 12)) for c in STAINS[stain])
    for x, y in _positions(rng, layout, count, radius):
        r = radius * rng.uniform(0.85, 1.15)
        if SHAPES[shape] == "circle":
            pen.ellipse([x - r, y - r, x + r, y + r], fill=colour)
        elif SHAPES[shape] == "square":
            pen.rectangle([x - r, y - r, x + r, y + r], fill=colour)
        else:
            pen.polygon(
                [(x, y - r * 1.2), (x - r * 1.1, y + r * 0.9), (x + r * 1.1, y + r * 0.9)],
                fill=colour,
            )
    return np.asarray(image)


def caption(rng, shape: str, stain: str, count: int, layout: str) -> str:
    template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
    text = template.format(
        count=COUNTS[count],
        stain=stain,
        shape=shape,
        cells="cell" if count == 1 else "cells",
        layout=LAYOUTS[layout],
    )
    if rng.random() < 0.1:  # an identifier, which the redactions replace by [MRN]
        text += f" (case MRN {int(rng.integers(1_000_000, 9_999_999))})"
    return text


def panels(count: int, seed: int):
    """`count` (image, caption, shape) triples, shapes in turn."""
    import numpy as np

    rng = np.random.default_rng(seed)
    shapes = list(SHAPES)
    for i in range(count):
        shape = shapes[i % len(shapes)]
        stain = list(STAINS)[int(rng.integers(len(STAINS)))]
        number = int(rng.integers(1, 5))
        layout = list(LAYOUTS)[int(rng.integers(len(LAYOUTS)))]
        if number == 1:
            layout = "scattered"
        yield (
            draw(rng, shape, stain, number, layout),
            caption(rng, shape, stain, number, layout),
            shape,
        )


def generate(folder: Path, pairs: int = 480, labeled_per_shape: int = 40) -> None:
    """`figures/figure-NNNN.png` + `.txt` beside it; `labeled/` with `labels.csv`
    (`path,label,caption`)."""
    from PIL import Image

    (folder / "figures").mkdir(parents=True)
    for i, (image, text, _) in enumerate(panels(pairs, seed=11)):
        Image.fromarray(image).save(folder / "figures" / f"figure-{i:04d}.png")
        (folder / "figures" / f"figure-{i:04d}.txt").write_text(text + "\n")
    (folder / "labeled").mkdir()
    with (folder / "labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "caption"])
        for i, (image, text, shape) in enumerate(panels(labeled_per_shape * 3, seed=12)):
            name = f"labeled/panel-{i:04d}.png"
            Image.fromarray(image).save(folder / name)
            writer.writerow([name, f"{shape} cells", text])


def sample_dir(root: Path | None = None) -> Path:
    """The generated sample, written once under the cache folder, as
    `biomedical-imaging` writes its tiles (`imaging.generated_once`)."""
    from ssl_domains.plugins.biomedical.imaging import generated_once

    return generated_once(f"biomedical-figures-v{VERSION}", generate, root)


class BiomedicalFiguresDomain(ImageTextDomain):
    """Figure panels (64x64 RGB) with captions; captions redacted as clinical notes are.

    Reads folders of images with a `.txt` caption beside each, and CSV/JSONL manifests
    (`path` and `caption` fields by default; `--set domain.image_field=...` and
    `domain.caption_field=...` for others). Without `--corpus`, pretraining uses the
    embedded sample of synthetic panels, generated on first use; `evaluate` uses its
    held-out labeled panels for zero-shot classification and retrieval.

    Examples:

    ```python
    from ssl_domains.plugins.biomedical.figures import BiomedicalFiguresDomain

    domain = BiomedicalFiguresDomain()
    folder = domain.sample_corpus()[0]             # generated once, then cached
    pair = next(domain.read(folder / "figure-0000.png", None))
    pair.image.shape, pair.caption                 # (64, 64, 3), 'two pink round cells ...'
    ```

    ```bash
    ssl-domains pretrain --domain biomedical-figures          # CLIP, ~2 min on a CPU
    ssl-domains evaluate runs/biomedical-figures-clip-<time> \\
        --compare random:runs/biomedical-figures-clip-<time>
    ```
    """

    name = "biomedical-figures"
    description = "Figure panels with captions (64x64): cell shape, count, stain, layout."
    default_recipe = "clip"
    defaults = {"data.validation_fraction": 0.1}
    channels = 3
    image_size = 64
    lowercase = False
    prompts = PROMPTS

    def sample_corpus(self) -> list[Path]:
        return [sample_dir() / "figures"]

    def sample_labels(self) -> Path:
        """`labels.csv`: 40 held-out panels per shape (`path,label,caption`)."""
        return sample_dir() / "labels.csv"

    def redactions(self) -> list[Rule]:
        from ssl_domains.plugins.biomedical import redaction_rules

        return redaction_rules()

    def normalizations(self) -> list[Rule]:
        from ssl_domains.plugins.biomedical import normalization_rules

        return normalization_rules()
