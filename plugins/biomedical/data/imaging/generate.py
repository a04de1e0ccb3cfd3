"""Generate the `biomedical-imaging` sample: H&E-like 64x64 microscopy tiles.

``ssl-domains pretrain --domain biomedical-imaging`` falls back on these tiles when no
corpus is given; the domain writes them once into a cache folder on first use (see
``ssl_domains.plugins.biomedical.imaging``), or run this file to write them anywhere:

* ``tiles/tile-0000.png`` ...: ``CORPUS_TILES`` unlabeled tiles for pretraining, of the
  four tissue kinds below in equal shares, in no particular order;
* ``labeled/sample-000.png`` ... and ``labels.csv`` (``path,label``, paths relative to the
  CSV): ``LABELED_PER_CLASS`` tiles of each kind, drawn from another seed stream than
  the unlabeled tiles, so no labeled tile is one pretraining has seen.

Tissue kinds, told apart by the shape and arrangement of their nuclei only:

- ``round``: scattered round nuclei (lymphocytes, normal parenchyma);
- ``spindle``: elongated nuclei aligned in one direction, in fibrous stroma;
- ``gland``: nuclei lined up around a clear lumen, elongated towards its centre;
- ``fragmented``: each nucleus broken into a few small dark fragments (apoptosis,
  karyorrhexis).

Every kind draws its stains, brightness, blur, noise, number and size of nuclei, share
of nuclear area and share of clear space from the same distributions: a fragmented
nucleus has the area of a whole one, and a gland's lumen is exactly the clear space that
other kinds have as irregular cracks. A colour histogram therefore cannot tell the kinds
apart (``benchmarks/imaging_labels.py`` measures it); their shapes can.

Colour follows the Beer-Lambert law of stained tissue: each pixel's optical density is
the sum of a haematoxylin and an eosin concentration times the stains' optical-density
vectors (Ruifrok and Johnston, 2001), each tile's vectors and intensities jittered as
staining batches are. Tiles are drawn at twice their size and box-downsampled (soft
nuclear edges), then blurred (focus) and given sensor noise.

numpy and Pillow only. Every tile has its own random stream, ``[SEED, stream, index]``:
a given seed always writes byte-identical files, in any order.

Usage: python generate.py [--out-dir DIR] [--seed N] [--tiles N] [--per-class N]
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

VERSION = 1  # bump when the output changes: the domain's cache folder is named after it
SEED = 20250611
SIZE = 64
SCALE = 2  # tiles are drawn at SCALE times their size, then box-downsampled
CORPUS_TILES = 1600
LABELED_PER_CLASS = 40
KINDS = ("round", "spindle", "gland", "fragmented")
CORPUS_STREAM, LABELED_STREAM = 0, 1

# Optical density of each stain per unit concentration, in R, G, B (Ruifrok & Johnston).
HAEMATOXYLIN = np.array([0.65, 0.70, 0.29])
EOSIN = np.array([0.07, 0.99, 0.11])


def _smooth_noise(rng: np.random.Generator, cells: tuple[int, int], size: int) -> np.ndarray:
    """A smooth random field of `size`x`size`, zero mean and unit spread: `cells` random
    values (rows, columns) stretched bicubically over the tile."""
    low = Image.fromarray(rng.standard_normal(cells).astype(np.float32), mode="F")
    field = np.asarray(low.resize((size, size), Image.Resampling.BICUBIC), dtype=np.float64)
    return (field - field.mean()) / (field.std() + 1e-9)


def _fibres(rng: np.random.Generator, angle: float, size: int) -> np.ndarray:
    """A smooth field stretched along `angle` (radians): the streaks of fibrous stroma.
    Drawn and turned at a quarter of `size`, then stretched over the tile."""
    small = size // 4
    big = int(small * 1.5)
    low = Image.fromarray(rng.standard_normal((24, 3)).astype(np.float32), mode="F")
    field = low.resize((big, big), Image.Resampling.BICUBIC)  # streaks run vertically
    field = field.rotate(np.degrees(angle) - 90.0, Image.Resampling.BILINEAR)
    start = (big - small) // 2
    field = field.crop((start, start, start + small, start + small))
    field = np.asarray(field.resize((size, size), Image.Resampling.BICUBIC), dtype=np.float64)
    return (field - field.mean()) / (field.std() + 1e-9)


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def _ellipse(
    canvas: np.ndarray,
    rng: np.random.Generator,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle: float,
    density: float,
) -> None:
    """Draw one nucleus into the haematoxylin `canvas` (drawing scale): an ellipse with
    a darker rim (the nuclear membrane) and grainy chromatin. Overlaps keep the darker."""
    y0, x0 = centre
    reach = max(axes) + 1
    size = canvas.shape[0]
    top, bottom = max(int(y0 - reach), 0), min(int(y0 + reach) + 1, size)
    left, right = max(int(x0 - reach), 0), min(int(x0 + reach) + 1, size)
    if top >= bottom or left >= right:
        return
    ys, xs = np.mgrid[top:bottom, left:right]
    dy, dx = ys + 0.5 - y0, xs + 0.5 - x0
    cos, sin = np.cos(angle), np.sin(angle)
    along, across = dx * cos + dy * sin, -dx * sin + dy * cos
    radius = (along / axes[0]) ** 2 + (across / axes[1]) ** 2
    inside = radius <= 1.0
    chromatin = 1.0 + 0.3 * rng.standard_normal(radius.shape)
    value = np.where(inside, density * (0.75 + 0.45 * radius) * chromatin, 0.0)
    patch = canvas[top:bottom, left:right]
    np.maximum(patch, value, out=patch)


def _spread(
    rng: np.random.Generator, count: int, clear: np.ndarray, spacing: float, size: int
) -> list[tuple[float, float]]:
    """Up to `count` points over the tile, outside the clear space, about `spacing` apart
    (rejection sampling; a crowded tile gets fewer)."""
    points: list[tuple[float, float]] = []
    for _ in range(count * 30):
        if len(points) == count:
            break
        y, x = rng.uniform(0, size, 2)
        if clear[int(y), int(x)]:
            continue
        if all((y - py) ** 2 + (x - px) ** 2 >= spacing**2 for py, px in points):
            points.append((y, x))
    return points


def tile(rng: np.random.Generator, kind: str, size: int = SIZE) -> np.ndarray:
    """One uint8 `(size, size, 3)` tile of tissue `kind` (one of `KINDS`).

    The tile is drawn, then its pixels are dealt the colours of a `round` twin drawn
    with the same stains, counts and sizes: ranked by brightness, each pixel takes the
    colour of the twin's pixel of the same rank. Every kind then has exactly the colour
    histogram of round nuclei under its stains (a thin spindle or a small fragment would
    otherwise come out paler after blurring than a round nucleus, which a histogram
    sees), and only where the dark and clear pixels lie tells the kinds apart.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown tissue kind {kind!r}; kinds: {', '.join(KINDS)}")
    shared = {
        "h_vector": _unit(HAEMATOXYLIN + rng.normal(0, 0.06, 3).clip(-0.2, 0.2)),
        "e_vector": _unit(EOSIN + rng.normal(0, 0.06, 3).clip(-0.2, 0.2)),
        "h_strength": rng.uniform(0.9, 1.6),  # nuclear stain
        "e_strength": rng.uniform(0.25, 0.6),  # cytoplasm and stroma stain
        "brightness": rng.uniform(0.86, 1.0) * rng.uniform(0.97, 1.03, 3),  # lamp, white balance
        "count": int(rng.integers(8, 21)),  # nuclei
        "radius": rng.uniform(2.4, 3.4) * SCALE,  # of a round nucleus of the same area
        "clear_share": rng.uniform(0.03, 0.18),  # lumen or cracks
        "blur": rng.uniform(0.3, 0.9),
        "noise": rng.uniform(1.0, 4.0),
        "angle": rng.uniform(0, np.pi),  # the stroma's direction (used by spindle tiles)
    }
    pixels = _draw(rng, kind, size, **shared)
    if kind == "round":
        return pixels
    return _recolour(pixels, _draw(rng, "round", size, **shared))


def _recolour(pixels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """`pixels` with the colours of `palette`, dealt by brightness rank."""
    weights = np.array([0.299, 0.587, 0.114])
    flat, colours = pixels.reshape(-1, 3), palette.reshape(-1, 3)
    out = np.empty_like(flat)
    out[np.argsort(flat @ weights, kind="stable")] = colours[
        np.argsort(colours @ weights, kind="stable")
    ]
    return out.reshape(pixels.shape)


def _draw(
    rng: np.random.Generator,
    kind: str,
    size: int,
    *,
    h_vector: np.ndarray,
    e_vector: np.ndarray,
    h_strength: float,
    e_strength: float,
    brightness: np.ndarray,
    count: int,
    radius: float,
    clear_share: float,
    blur: float,
    noise: float,
    angle: float,
) -> np.ndarray:
    """Draw one tile of `kind` from its shared draws (see `tile`)."""
    n = size * SCALE  # drawing scale

    # --- clear space: one lumen per gland, irregular cracks elsewhere ---------------------
    if kind == "gland":
        centre = rng.uniform(0.3, 0.7, 2) * n
        ys, xs = np.mgrid[0:n, 0:n] + 0.5
        distance = np.hypot(ys - centre[0], xs - centre[1])
        wobble = 1.0 + 0.08 * _smooth_noise(rng, (4, 4), n)
        lumen = np.sqrt(clear_share * n * n / np.pi)
        field = distance / wobble
        clear = field <= np.quantile(field, clear_share)
    else:
        field = _smooth_noise(rng, (5, 5), n)
        clear = field >= np.quantile(field, 1 - clear_share)

    # --- nuclei -----------------------------------------------------------------------
    nuclei = np.zeros((n, n))
    if kind == "round":
        for y, x in _spread(rng, count, clear, 2.2 * radius, n):
            stretch = rng.uniform(1.0, 1.15)
            axes = (radius * stretch, radius / stretch)
            _ellipse(nuclei, rng, (y, x), axes, rng.uniform(0, np.pi), h_strength)
    elif kind == "spindle":
        for y, x in _spread(rng, count, clear, 2.2 * radius, n):
            stretch = rng.uniform(1.8, 2.4)
            axes = (radius * stretch, radius / stretch)
            turn = angle + rng.normal(0, 0.2)
            _ellipse(nuclei, rng, (y, x), axes, turn, h_strength)
    elif kind == "gland":
        # Columnar nuclei side by side around the lumen, long axes pointing at its centre;
        # those the ring has no room for lie scattered in the stroma.
        ring = lumen + 1.6 * radius
        room = int(2 * np.pi * ring / (1.9 * radius))
        lined = min(count, room)
        start = rng.uniform(0, 2 * np.pi)
        for k in range(lined):
            theta = start + 2 * np.pi * k / room + rng.normal(0, 0.04)
            reach = ring * (1 + rng.normal(0, 0.03))
            y, x = centre[0] + reach * np.sin(theta), centre[1] + reach * np.cos(theta)
            stretch = rng.uniform(1.3, 1.5)
            axes = (radius * stretch, radius / stretch)
            _ellipse(nuclei, rng, (y, x), axes, theta, h_strength)
        spacing = 2.2 * radius
        for y, x in _spread(rng, count - lined, clear | (field <= ring + 2 * radius), spacing, n):
            _ellipse(nuclei, rng, (y, x), (radius, radius), 0.0, h_strength)
    else:  # fragmented: each nucleus as 3 to 5 dark fragments of the same total area
        for y, x in _spread(rng, count, clear, 2.4 * radius, n):
            pieces = int(rng.integers(3, 6))
            piece = 1.2 * radius / np.sqrt(pieces)  # fragments overlap: a little larger
            for _ in range(pieces):
                offset = rng.uniform(0.3, 1.2) * radius * np.exp(2j * np.pi * rng.uniform())
                stretch = rng.uniform(1.0, 1.3)
                axes = (piece * stretch, piece / stretch)
                at = (y + offset.imag, x + offset.real)
                _ellipse(nuclei, rng, at, axes, rng.uniform(0, np.pi), h_strength)

    # --- stroma and cytoplasm -----------------------------------------------------------
    texture = _fibres(rng, angle, n) if kind == "spindle" else _smooth_noise(rng, (8, 8), n)
    eosin = e_strength * (1.0 + 0.35 * texture).clip(0.1, None)
    haematoxylin = np.maximum(nuclei, 0.06 * h_strength)  # a faint counterstain everywhere
    tissue = ~clear
    stains = np.stack([haematoxylin * tissue, eosin * tissue], axis=-1).astype(np.float32)
    density = stains @ np.stack([h_vector, e_vector]).astype(np.float32)  # [n, n, 3]
    rgb = np.exp(-density) * brightness.astype(np.float32)
    rgb = sum(rgb[i::SCALE, j::SCALE] for i in range(SCALE) for j in range(SCALE)) / SCALE**2

    image = Image.fromarray((rgb * 255).clip(0, 255).round().astype(np.uint8))
    image = image.filter(ImageFilter.GaussianBlur(blur))
    pixels = np.asarray(image, dtype=np.float64) + rng.normal(0, noise, (size, size, 3))
    return pixels.clip(0, 255).round().astype(np.uint8)


def _rng(seed: int, stream: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream, index])


def corpus_tiles(count: int = CORPUS_TILES, seed: int = SEED):
    """The unlabeled tiles, kinds in turn (tile i is of kind `KINDS[i % 4]`)."""
    for i in range(count):
        yield tile(_rng(seed, CORPUS_STREAM, i), KINDS[i % len(KINDS)])


def labeled_tiles(per_class: int = LABELED_PER_CLASS, seed: int = SEED):
    """`(kind, tile)` pairs, `per_class` of each kind, from their own seed stream."""
    for i in range(per_class * len(KINDS)):
        kind = KINDS[i % len(KINDS)]
        yield kind, tile(_rng(seed, LABELED_STREAM, i), kind)


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def write(
    out_dir: Path,
    seed: int = SEED,
    tiles: int = CORPUS_TILES,
    per_class: int = LABELED_PER_CLASS,
) -> dict[str, int]:
    """Write `tiles/`, `labeled/` and `labels.csv` under `out_dir`; returns counts."""
    out_dir = Path(out_dir)
    (out_dir / "tiles").mkdir(parents=True, exist_ok=True)
    (out_dir / "labeled").mkdir(parents=True, exist_ok=True)
    written = 0
    for i, pixels in enumerate(corpus_tiles(tiles, seed)):
        (out_dir / "tiles" / f"tile-{i:04d}.png").write_bytes(png(pixels))
        written += 1
    rows = []
    for i, (kind, pixels) in enumerate(labeled_tiles(per_class, seed)):
        name = f"labeled/sample-{i:03d}.png"  # names say nothing of the label
        (out_dir / name).write_bytes(png(pixels))
        rows.append((name, kind))
    with open(out_dir / "labels.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["path", "label"])
        writer.writerows(rows)
    return {"tiles": written, "labeled": len(rows)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path("biomedical-imaging"))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--tiles", type=int, default=CORPUS_TILES)
    parser.add_argument("--per-class", type=int, default=LABELED_PER_CLASS)
    args = parser.parse_args(argv)
    counts = write(args.out_dir, args.seed, args.tiles, args.per_class)
    print(f"wrote {counts['tiles']} tiles and {counts['labeled']} labeled tiles to {args.out_dir}")


if __name__ == "__main__":
    main()
