"""The default corpus: a fixed, bounded selection of the running Python's stdlib sources.

Every Python installation carries a few megabytes of well-written, documented code
under a permissive licence, so the `code` domain trains out of the box without a
download. The selection is deterministic: candidates are the `.py` files outside
tests, IDLE, demos, generated tables and installed packages; they are ranked by a
hash of their path relative to the stdlib root (a spread over all packages that
does not depend on the file system's listing order), taken in that order while the
file and byte budgets last, and returned sorted. The same interpreter gives the
same files, in the same order, on every run.
"""

from __future__ import annotations

import hashlib
import os
import sysconfig
from pathlib import Path

# Folders never sampled: tests, IDLE, demos, generated tables, installed packages.
EXCLUDED = frozenset(
    {
        "test",
        "tests",
        "idlelib",
        "turtledemo",
        "encodings",
        "pydoc_data",
        "site-packages",
        "dist-packages",
        "__pycache__",
        "ensurepip",
    }
)
MAX_FILE_BYTES = 64_000


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_selection(max_files: int = 400, max_bytes: int = 4_000_000) -> list[Path]:
    """Up to `max_files` stdlib `.py` files of at most `max_bytes` in all, sorted.

    Args:
        max_files: the most files to take.
        max_bytes: the most bytes to take, all files together; a file that would
            overflow the budget is passed over and the next one tried.

    Examples:

    ```python
    from ssl_domains.plugins.code.stdlib import stdlib_selection

    files = stdlib_selection(max_files=50, max_bytes=500_000)
    len(files), sum(f.stat().st_size for f in files) <= 500_000  # (50, True)
    ```
    """
    root = stdlib_root()
    candidates = []
    for folder, subfolders, names in os.walk(root):
        # Prune excluded folders in place, so installed packages are never walked.
        subfolders[:] = [d for d in subfolders if d not in EXCLUDED and not d.startswith("config-")]
        for name in names:
            path = Path(folder, name)
            size = path.stat().st_size if name.endswith(".py") else 0
            if 0 < size <= MAX_FILE_BYTES:
                rank = hashlib.sha256(path.relative_to(root).as_posix().encode()).hexdigest()
                candidates.append((rank, path, size))
    chosen, total = [], 0
    for _, path, size in sorted(candidates):
        if len(chosen) == max_files:
            break
        if total + size <= max_bytes:
            chosen.append(path)
            total += size
    return sorted(chosen)
