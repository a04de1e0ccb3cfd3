"""The `biomedical-imaging` domain: H&E-stained microscopy tiles, for SimCLR pretraining.

What is special about microscopy tiles:
- orientation means nothing: a section lies on the slide whichever way it was cut, so
  a tile flipped horizontally or vertically is the same tissue, and the views flip in
  both directions (SimCLR's flip is horizontal only);
- colour says more about the laboratory than the tissue: stain batches, staining
  times, scanners and fading move haematoxylin and eosin hues and intensities from
  slide to slide, and a model that keys on them fails on the next hospital's slides.
  The views keep SimCLR's full colour jitter (brightness, contrast and saturation 0.4,
  hue 0.1) and random grayscale, so that what two views share is the morphology: the
  size, shape and arrangement of nuclei, which is what a pathologist reads;
- magnification is fixed by the scanner, so a nucleus's size means something: tiles
  are trained on at their own size, 64x64, and a view's crop keeps at least 30% of
  the tile (SimCLR's 8% would blow a nucleus up to a stroma's size).

The embedded sample is synthetic (`data/imaging/generate.py`): 1600 unlabeled tiles
of four tissue kinds (round nuclei, aligned spindle cells, glands around a lumen,
fragmented nuclei) and a labeled set of 40 tiles per kind from another seed stream.
Every kind draws its stains, brightness and density of nuclei from the same
distributions, so colour cannot tell them apart; shape can. The tiles are generated
on first use into a cache folder (`sample_dir`), a few seconds once, rather than
shipped: as PNGs they would add 15 MB to the package, and the generator is 15 KB.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from ssl_domains.api import ImageDomain

DATA = Path(__file__).parent / "data" / "imaging"
GENERATOR = DATA / "generate.py"


@functools.cache
def _generator():
    """`data/imaging/generate.py`, a script beside the data, loaded as a module."""
    spec = importlib.util.spec_from_file_location("_biomedical_imaging_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cache_root() -> Path:
    """`$XDG_CACHE_HOME/ssl-domains`, else `~/.cache/ssl-domains`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ssl-domains"


def sample_dir(root: Path | None = None) -> Path:
    """The folder of the generated sample (`tiles/`, `labeled/`, `labels.csv`), written
    on first use under `root` (default: `cache_root()`; see `generated_once`)."""
    generate = _generator()
    return generated_once(f"biomedical-imaging-v{generate.VERSION}", generate.write, root)


def generated_once(name: str, write, root: Path | None = None) -> Path:
    """`root/name` (default root: `cache_root()`), made by `write(folder)` on first use.

    It is written into a temporary folder beside it and renamed into place, so that a
    folder that exists is complete, and two processes generating it at once both end
    with the same files. Where the cache folder cannot be written, the system's
    temporary folder is used. Names carry their generator's version: a new version
    writes a new folder.
    """
    root = cache_root() if root is None else Path(root)
    folder = root / name
    if folder.is_dir():
        return folder
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        root = Path(tempfile.gettempdir()) / f"ssl-domains-{os.getuid()}"
        root.mkdir(parents=True, exist_ok=True)
        folder = root / name
        if folder.is_dir():
            return folder
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        write(staging)
        staging.rename(folder)
    except OSError:
        if not folder.is_dir():  # not another process's finished copy: a real failure
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


CROP_SCALE = 0.3


class BiomedicalImagingDomain(ImageDomain):
    """H&E-stained microscopy tiles: 64x64 RGB, views flipped both ways, stains jittered.

    Reads PNG, JPEG, WebP and BMP tiles (folders recursively) and CSV or JSONL
    manifests with a `path` column. Without `--corpus`, pretraining uses the embedded
    sample of synthetic tiles, generated on first use; `finetune` and `evaluate` use
    its labeled tiles (`path,label`: round, spindle, gland, fragmented).

    Examples:

    ```python
    from ssl_domains.plugins.biomedical.imaging import BiomedicalImagingDomain

    domain = BiomedicalImagingDomain()
    tiles = domain.sample_corpus()[0]            # generated once, then cached
    tile = next(domain.read(tiles / "tile-0000.png", None))
    tile.shape                                   # (64, 64, 3)
    ```

    ```bash
    ssl-domains pretrain --domain biomedical-imaging
    ssl-domains pretrain --domain biomedical-imaging --corpus ./tiles/ \\
        --set domain.near_duplicates=true     # overlapping tiles of one slide
    ```
    """

    name = "biomedical-imaging"
    description = "H&E-stained microscopy tiles (64x64): nuclei, stroma and glands."
    default_recipe = "simclr"
    channels = 3
    image_size = 64  # the recipes' defaults (steps, batch) are sized for such tiles

    def sample_corpus(self) -> list[Path]:
        return [sample_dir() / "tiles"]

    def sample_labels(self) -> Path:
        """`labels.csv`: 40 tiles of each tissue kind, none of them pretraining tiles."""
        return sample_dir() / "labels.csv"

    def views(self, size: int):
        """SimCLR's views (crop, horizontal flip, colour jitter, random grayscale, blur)
        with crops of at least 30% of the tile, since a microscope's magnification is
        fixed and a nucleus's size means something, and a vertical flip: a slide has
        no up."""
        import keras

        from ssl_domains.api import standard_views

        view = standard_views(size, scale=(CROP_SCALE, 1.0))
        flip = keras.layers.RandomFlip("vertical")
        return keras.Sequential([*view.layers, flip], name="view")
