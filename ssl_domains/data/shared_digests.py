"""Exact digests the merging process has seen, shared with worker processes read-only.

When a corpus is prepared on several processes, one process merges items in input
order and decides duplicates; workers prepare items ahead of it. A document whose
exact digest the merger has already seen comes from an earlier item, so it is a
duplicate whatever else happens, and a worker that can tell spares its signature,
split and serialization (licence texts and boilerplate repeat across files by the
thousand). This table lets it tell.

An open-addressing hash table of 16-byte digests in shared memory: the merger alone
writes, workers only read, with no lock. Only digests of merged items are ever added,
so a hit is right; a worker that reads a slot while it is written sees zeros where
the digest is not yet written, which makes it miss (the work is then done, and the
merger drops the duplicate as it would anyway), or match a different digest only
with the odds of a 64-bit collision, which the merger checks for. When the table is
two-thirds full nothing more is added: it is a hint that saves work, never a
condition of correctness.
"""

from __future__ import annotations

import ctypes
from functools import cached_property

DIGEST = 16
EMPTY = bytes(DIGEST)


class SharedDigests:
    """A fixed-size set of 16-byte digests in shared memory.

    Args:
        context: the multiprocessing context whose workers read it (its `RawArray`
            is handed to them when they start, as an initializer argument).
        slots: capacity; a power of two.
    """

    def __init__(self, context, slots: int = 2**20):
        self.slots = slots
        self.table = context.RawArray(ctypes.c_ubyte, slots * DIGEST)
        self.count = 0

    @cached_property
    def _bytes(self) -> memoryview:
        return memoryview(self.table).cast("B")

    def __getstate__(self) -> dict:
        return {"slots": self.slots, "table": self.table, "count": self.count}

    def _slot(self, digest: bytes) -> tuple[int, bool]:
        """The byte offset of `digest`'s slot, or of the empty slot where it would go,
        and whether it is there (linear probing; a memoryview compares in C)."""
        table, mask = self._bytes, self.slots - 1
        slot = int.from_bytes(digest[:8], "little") & mask
        while True:
            offset = slot * DIGEST
            held = table[offset : offset + DIGEST]
            if held == digest:
                return offset, True
            if held == EMPTY:
                return offset, False
            slot = (slot + 1) & mask

    def __contains__(self, digest: bytes) -> bool:
        return self._slot(digest)[1]

    def add(self, digest: bytes) -> None:
        """Remember `digest` (merger only); ignored once the table is two-thirds full."""
        if digest == EMPTY or 3 * self.count >= 2 * self.slots:
            return
        offset, held = self._slot(digest)
        if not held:
            self._bytes[offset : offset + DIGEST] = digest
            self.count += 1
