"""How much of the `biomedical-imaging` labeled sample colour alone already solves.

A labeled image sample shows what pretraining is for only if its labels need shape or
texture: if the stain's colour or the amount of nuclear stain decides the class, a
colour histogram solves it and an encoder has nothing to learn. On the domain's labeled
sample (`sample_labels()`, or `--labels CSV` for any `path,label` manifest) this prints,
in one markdown table, 5-fold stratified cross-validated accuracies of:

- majority: always answering the most frequent class (chance, for balanced classes);
- colour histogram LR: a logistic regression on each image's R, G and B histograms
  (32 bins each) and joint 8x8x8 RGB histogram, as shares of its pixels: should be near
  chance;
- colour statistics LR: the same on each channel's mean, spread and 5th to 95th
  percentiles: brightness and stain intensity, without any spatial arrangement;
- raw pixels LR: the same on the pixels themselves (for reference: nuclei lie anywhere,
  so raw pixels see shape poorly too);
- shape features LR: the same on a dozen measurements of the dark blobs (nuclei) and
  clear areas: how many, how large, how elongated, how aligned, how far apart, how
  round the clear space is. Colour-free, so what it finds is shape.

Features are standardised inside each training fold. Fixed folds and seeds: the same
files give the same table.

    python benchmarks/imaging_labels.py
    python benchmarks/imaging_labels.py --labels my_tiles/labels.csv
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

import numpy as np


def read_sample(labels: Path) -> tuple[np.ndarray, list[str]]:
    """uint8 images `[n, h, w, 3]` and their labels, from a `path,label` manifest."""
    from PIL import Image

    with open(labels, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    images = [np.asarray(Image.open(labels.parent / r["path"]).convert("RGB")) for r in rows]
    return np.stack(images), [row["label"] for row in rows]


def colour_histograms(images: np.ndarray, bins: int = 32, joint: int = 8) -> np.ndarray:
    """Per-channel histograms (`bins` each) and a joint `joint`^3 histogram, as shares."""
    rows = []
    for image in images:
        pixels = image.reshape(-1, 3).astype(int)
        channels = [np.bincount(pixels[:, c] * bins // 256, minlength=bins) for c in range(3)]
        cells = (pixels * joint // 256) @ np.array([joint * joint, joint, 1])
        rows.append(np.concatenate([*channels, np.bincount(cells, minlength=joint**3)]))
    return np.asarray(rows, dtype=float) / (images.shape[1] * images.shape[2])


def colour_statistics(images: np.ndarray) -> np.ndarray:
    """Per channel: mean, standard deviation and the 5th, 25th, 50th, 75th, 95th
    percentiles of the pixel values."""
    pixels = images.reshape(len(images), -1, 3).astype(float)
    quantiles = np.percentile(pixels, [5, 25, 50, 75, 95], axis=1)  # [5, n, 3]
    parts = [pixels.mean(1), pixels.std(1), *quantiles]
    return np.concatenate(parts, axis=1)


def shape_features(images: np.ndarray) -> np.ndarray:
    """Colour-free measurements of each image's dark blobs (nuclei) and clear areas.

    Blobs are connected regions darker than halfway between the image's median and its
    1st percentile of brightness; clear areas, brighter than halfway between its median
    and its 99.5th percentile. Per image: blob count, mean and spread of blob area, mean
    elongation (ratio of the axes of the blob's second moments), alignment (how much
    blob orientations agree, 0 to 1), mean and spread of the distance from a blob to its
    nearest neighbour, the share of blobs with a neighbour within 6 pixels, and the
    largest clear area's share of all clear pixels and its roundness.
    """
    from scipy import ndimage

    rows = []
    for image in images:
        gray = image.astype(float).mean(-1)
        median = np.median(gray)
        dark = gray < (median + np.percentile(gray, 1)) / 2
        labels, count = ndimage.label(dark)
        areas, elongations, angles, centres = [], [], [], []
        for index, found in enumerate(ndimage.find_objects(labels), start=1):
            ys, xs = np.nonzero(labels[found] == index)
            if len(ys) < 2:
                continue
            covariance = np.cov(np.stack([xs, ys])) + 1e-3 * np.eye(2)
            values, vectors = np.linalg.eigh(covariance)
            areas.append(len(ys))
            elongations.append(np.sqrt(values[1] / values[0]))
            angles.append(np.arctan2(vectors[1, 1], vectors[0, 1]))
            centres.append((ys.mean() + found[0].start, xs.mean() + found[1].start))
        if len(centres) >= 2:
            points = np.asarray(centres)
            gaps = np.hypot(*(points[:, None] - points[None]).transpose(2, 0, 1))
            np.fill_diagonal(gaps, np.inf)
            nearest = gaps.min(1)
        else:
            nearest = np.array([64.0])
        weights = np.asarray(elongations) - 1 if elongations else np.zeros(1)
        alignment = (
            abs(np.sum(weights * np.exp(2j * np.asarray(angles)))) / (weights.sum() + 1e-9)
            if angles
            else 0.0
        )
        clear = gray > (median + np.percentile(gray, 99.5)) / 2
        clear_labels, clear_count = ndimage.label(clear)
        if clear_count:
            sizes = np.bincount(clear_labels.ravel())[1:]
            largest = clear_labels == (np.argmax(sizes) + 1)
            perimeter = largest.sum() - ndimage.binary_erosion(largest).sum()
            roundness = 4 * np.pi * largest.sum() / max(perimeter, 1) ** 2
            clear_row = [sizes.max() / sizes.sum(), roundness]
        else:
            clear_row = [0.0, 0.0]
        rows.append(
            [
                len(areas),
                np.mean(areas) if areas else 0.0,
                np.std(areas) if areas else 0.0,
                np.mean(elongations) if elongations else 1.0,
                alignment,
                nearest.mean(),
                nearest.std(),
                np.mean(nearest < 6),
                *clear_row,
            ]
        )
    return np.asarray(rows, dtype=float)


def raw_pixels(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(float) / 255


def cross_validated(features: np.ndarray, labels: list[str], folds: int = 5) -> float:
    """Mean stratified k-fold accuracy of a standardised logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    return float(cross_val_score(model, features, labels, cv=split).mean())


FEATURES = {
    "colour histogram LR": colour_histograms,
    "colour statistics LR": colour_statistics,
    "raw pixels LR": raw_pixels,
    "shape features LR": shape_features,
}


def measure(images: np.ndarray, labels: list[str]) -> dict[str, float]:
    """Accuracy of every baseline: majority, then each of `FEATURES`."""
    scores = {"majority": Counter(labels).most_common(1)[0][1] / len(labels)}
    for name, featurize in FEATURES.items():
        scores[name] = cross_validated(featurize(images), labels)
    return scores


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, help="a path,label CSV (default: the sample)")
    args = parser.parse_args(argv)
    if args.labels is None:
        from ssl_domains.plugins.biomedical.imaging import BiomedicalImagingDomain

        args.labels = BiomedicalImagingDomain().sample_labels()
    images, labels = read_sample(args.labels)
    counts = Counter(labels)
    print(
        f"{len(labels)} images of {images.shape[1]}x{images.shape[2]}, "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + f"; 5-fold CV; chance {1 / len(counts):.2f}\n"
    )
    print("| baseline | accuracy |\n|---|---|")
    for name, score in measure(images, labels).items():
        print(f"| {name} | {score:.3f} |")


if __name__ == "__main__":
    main()
