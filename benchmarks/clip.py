"""CLIP on `biomedical-figures`: held-out zero-shot accuracy and retrieval recall@k of
the trained dual encoder, next to chance, a random-init dual encoder of the same
shape, and a nearest-neighbour-on-pixels baseline.

    python benchmarks/clip.py                 # the default run (400 steps, ~1.5 min) + scoring
    python benchmarks/clip.py --run RUN_DIR   # score an existing run

Everything is scored on the domain's held-out labeled panels (`labels.csv`: 40 per
shape, drawn from another seed than the pretraining pairs, each with its caption).

The pixel baseline uses the same pretraining pairs and no learning:
- retrieval, image->text: a query image's 5 nearest training images by pixels (cosine
  on the [0, 1] squares) lend their captions; the held-out captions are ranked by
  TF-IDF similarity to those. text->image: a query caption's 5 nearest training
  captions by TF-IDF lend their images; the held-out images are ranked by pixel
  similarity to those.
- zero-shot: the same 5 borrowed captions, and the class whose prompts are most
  similar to them by TF-IDF: what "reading" class names off the nearest pictures'
  captions gives without a learned image-text space.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _cli import final_metrics, ssl_domains  # noqa: E402

NEIGHBOURS = 5


def pixel_baseline(run: Path, labels: Path, prompts) -> dict[str, float]:
    import tensorflow as tf
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ssl_domains.data.labeled_set import read_labeled
    from ssl_domains.data.prepare_corpus import CorpusReport
    from ssl_domains.data.shards import read_records
    from ssl_domains.image.pixels import square
    from ssl_domains.image_text.batches import recall_metrics
    from ssl_domains.image_text.modality import ImageTextModality
    from ssl_domains.image_text.zero_shot import read_images

    report = CorpusReport.load(run / "data")
    files = [run / "data" / name for name in report.train_files]
    train = list(read_records(files, ImageTextModality()).as_numpy_iterator())
    train_pixels = np.stack([square(image, 64, 3).numpy().ravel() for image, _ in train])
    train_captions = [caption.decode() for _, caption in train]
    rows = read_labeled(labels, {"image": "path", "label": "label", "caption": "caption"})
    held = np.stack(
        [
            square(tf.io.decode_png(data, channels=3), 64, 3).numpy().ravel()
            for data in read_images(rows, 3)
        ]
    )
    captions = list(rows.columns["caption"])
    classes = sorted(set(rows.columns["label"]))

    def unit(x):
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)

    tfidf = TfidfVectorizer().fit(train_captions + captions)
    text = lambda texts: unit(tfidf.transform(texts).toarray())  # noqa: E731
    nearest = np.argsort(-unit(held) @ unit(train_pixels).T, axis=1)[:, :NEIGHBOURS]
    borrowed = unit(np.stack([text([train_captions[j] for j in row]).mean(0) for row in nearest]))
    image_to_text = borrowed @ text(captions).T
    nearest_text = np.argsort(-text(captions) @ text(train_captions).T, axis=1)[:, :NEIGHBOURS]
    lent = unit(np.stack([unit(train_pixels[row]).mean(0) for row in nearest_text]))
    text_to_image = lent @ unit(held).T  # [captions, images]
    keys = np.array(captions, dtype=object)
    relevant = keys[:, None] == keys[None, :]
    # recall_metrics takes (image vectors, text vectors); pass similarities directly.
    scores = recall_metrics(np.eye(len(keys)), image_to_text.T, relevant)
    text_scores = recall_metrics(np.eye(len(keys)), text_to_image, relevant)
    for key, value in text_scores.items():
        if key.startswith("text_to_image"):
            scores[key] = value
    class_text = unit(
        np.stack([text([p.format(name) for p in prompts]).mean(0) for name in classes])
    )
    predicted = np.argmax(borrowed @ class_text.T, axis=1)
    truth = np.array([classes.index(label) for label in rows.columns["label"]])
    scores["zero_shot_accuracy"] = float((predicted == truth).mean())
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="score this run instead of training one")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-clip"))
    args = parser.parse_args()
    run = args.run
    if run is None:
        run = args.out
        seconds = ssl_domains("pretrain", "--domain", "biomedical-figures", "--run-dir", str(run))
        print(f"pretrained {run} in {seconds:.0f} s")
    from ssl_domains.backend import select_backend

    select_backend("tensorflow")
    from ssl_domains.plugins.biomedical.figures import PROMPTS, BiomedicalFiguresDomain

    from ssl_domains.image_text.zero_shot import evaluate_sources

    labels = BiomedicalFiguresDomain().sample_labels()
    trained, random = evaluate_sources([str(run), f"random:{run}"], labels)
    pixels = pixel_baseline(run, labels, PROMPTS)
    keys = [
        "zero_shot_accuracy",
        "image_to_text_recall_at_1",
        "image_to_text_recall_at_5",
        "image_to_text_recall_at_10",
        "text_to_image_recall_at_1",
        "text_to_image_recall_at_5",
        "text_to_image_recall_at_10",
    ]
    chance = {
        "zero_shot_accuracy": trained.scores["chance_accuracy"],
        **{k: trained.scores[f"chance_recall_at_{k.rsplit('_', 1)[1]}"] for k in keys[1:]},
    }
    table = {
        "CLIP (trained)": trained.scores,
        "random-init dual encoder": random.scores,
        "pixel kNN": pixels,
        "chance": chance,
    }
    print(f"held-out: {int(trained.scores['images'])} labeled panels, 3 classes")
    short = {k: k.replace("image_to_text_recall_at_", "i2t R@") for k in keys}
    short = {k: v.replace("text_to_image_recall_at_", "t2i R@") for k, v in short.items()}
    short["zero_shot_accuracy"] = "zero-shot"
    print(f"{'':26}" + "".join(f"{short[k]:>11}" for k in keys))
    for name, scores in table.items():
        print(f"{name:26}" + "".join(f"{scores[k]:11.3f}" for k in keys))
    metrics = final_metrics(run)
    print(
        f"run: {run} · held-out in-batch accuracy {metrics['contrastive_accuracy']:.3f} "
        f"(chance {metrics['chance_accuracy']:.3f})"
    )
    (run / "clip_benchmark.json").write_text(json.dumps(table, indent=2) + "\n")


if __name__ == "__main__":
    main()
