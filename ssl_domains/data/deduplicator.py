"""Exact and near-duplicate detection, for any modality's dedup keys.

Duplicates inflate what a model memorises and leak between the training and
validation splits. A text key's exact duplicates are found by a hash of the
whitespace-collapsed, case-folded text; its near duplicates (a filing republished with
a new date, a file copied and edited) by MinHash over word 3-gram shingles with
locality-sensitive hashing (datasketch), at Jaccard similarity 0.7 by default. A
`HashKey` (an image's) is a content digest, for exact duplicates, and optionally a
64-bit perceptual hash, whose near duplicates are the hashes a few bits away
(`HammingIndex`). All of it runs in one pass while the corpus is read; memory grows
with the number of distinct documents (about 2 KB each for text near-duplicate
detection, a few hundred bytes for an image), so beyond tens of millions of documents
turn `data.near_duplicates` off or back datasketch's LSH with Redis.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from dataclasses import dataclass

from datasketch import LeanMinHash


@dataclass(frozen=True)
class HashKey:
    """The dedup key of a record that is not text, such as an image.

    Args:
        exact: a digest of the record's content; equal digests are exact duplicates.
        bits: a 64-bit locality-sensitive hash of it (an image's dHash), or None for
            exact duplicates only.
        within: hashes that differ in this many bits or fewer are near duplicates.

    Examples:

    ```python
    dedup = Deduplicator()
    dedup.check(HashKey("3f2a...", bits=0x8F3C_0012_77AA_5B01, within=6))  # None
    dedup.check(HashKey("9be0...", bits=0x8F3C_0012_77AA_5B03, within=6))
    # 'near_duplicate': another digest, one bit away
    ```
    """

    exact: str
    bits: int | None = None
    within: int = 0


class HammingIndex:
    """Hashes of `width` bits, searched for one within `within` bits of a new hash.

    The bits are cut into `within + 1` bands of about equal width. Two hashes that
    differ in at most `within` bits differ in at most `within` bands, so by the
    pigeonhole principle they agree exactly on at least one: only the hashes that share
    a band with the query are compared, and none within range is missed. Each band is
    a dictionary from its value to the hashes that have it.

    Args:
        within: the largest number of differing bits that counts as a match.
        width: bits per hash.
    """

    def __init__(self, within: int, width: int = 64):
        if not 0 <= within < width:
            raise ValueError(f"within must be 0 to {width - 1} bits, not {within}")
        self.within = within
        cuts = [round(i * width / (within + 1)) for i in range(within + 2)]
        self.bands = [(low, (1 << (high - low)) - 1) for low, high in itertools.pairwise(cuts)]
        self.tables: list[dict[int, list[int]]] = [defaultdict(list) for _ in self.bands]

    def find(self, value: int) -> int | None:
        """A stored hash within `within` bits of `value`, or None."""
        for (shift, mask), table in zip(self.bands, self.tables, strict=True):
            for other in table.get((value >> shift) & mask, ()):
                if (value ^ other).bit_count() <= self.within:
                    return other
        return None

    def add(self, value: int) -> None:
        for (shift, mask), table in zip(self.bands, self.tables, strict=True):
            table[(value >> shift) & mask].append(value)


class Deduplicator:
    """Remembers what it has seen and says whether a key (a text, or a `HashKey`)
    duplicates any of it.

    Args:
        near: also look for near duplicates, not only exact ones: MinHash LSH for
            texts, a `HammingIndex` for the hashes of `HashKey`s that carry one.
        threshold: Jaccard similarity of shingle sets that counts as near duplicate.
        num_perm: MinHash permutations: more is more precise and slower.
        shingle: words per shingle.

    Examples:

    ```python
    dedup = Deduplicator()
    dedup.check("Revenue rose 12% in the quarter, the company said on Tuesday.")  # None
    dedup.check("revenue rose 12%  in the quarter, the company said on tuesday.")
    # 'exact_duplicate'
    ```
    """

    def __init__(
        self, near: bool = True, threshold: float = 0.7, num_perm: int = 128, shingle: int = 3
    ):
        self.seen: set[bytes] = set()
        self.near, self.num_perm, self.shingle = near, num_perm, shingle
        self.threshold = threshold
        self.signatures: dict[str, object] = {}
        self.hashes: dict[int, HammingIndex] = {}  # by `within`
        if near:
            from datasketch import MinHashLSH

            # LSH at a lower threshold finds candidates with high recall; each is then
            # confirmed by its estimated Jaccard similarity.
            self.lsh = MinHashLSH(threshold=max(threshold - 0.15, 0.3), num_perm=num_perm)

    def _minhash(self, words: list[str]):
        from datasketch import MinHash

        size = min(self.shingle, len(words))
        grams = {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}
        signature = MinHash(num_perm=self.num_perm)
        signature.update_batch(list(grams))
        return signature

    def check(self, text: str | HashKey) -> str | None:
        """`"exact_duplicate"`, `"near_duplicate"`, or None (and `text` is remembered).

        A `HashKey`'s near duplicates are looked for only when this deduplicator looks
        for near duplicates at all (`near`) and the key has `bits`."""
        if isinstance(text, HashKey):
            return self._check_hash(text)
        words = text.casefold().split()
        key = hashlib.blake2b(" ".join(words).encode(), digest_size=16).digest()
        if key in self.seen:
            return "exact_duplicate"
        self.seen.add(key)
        if self.near and words:
            signature = self._minhash(words)
            candidates = self.lsh.query(signature)
            if any(signature.jaccard(self.signatures[c]) >= self.threshold for c in candidates):
                return "near_duplicate"
            key_name = str(len(self.signatures))
            self.signatures[key_name] = LeanMinHash(signature)
            self.lsh.insert(key_name, signature)
        return None

    def _check_hash(self, key: HashKey) -> str | None:
        exact = b"hash:" + key.exact.encode()
        if exact in self.seen:
            return "exact_duplicate"
        self.seen.add(exact)
        if self.near and key.bits is not None:
            index = self.hashes.setdefault(key.within, HammingIndex(key.within))
            if index.find(key.bits) is not None:
                return "near_duplicate"
            index.add(key.bits)
        return None
