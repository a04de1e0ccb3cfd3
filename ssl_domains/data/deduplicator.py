"""Exact and near-duplicate detection, for any modality's dedup keys.

Duplicates inflate what a model memorises and leak between the training and
validation splits. Exact duplicates are found by a hash of the whitespace-collapsed,
case-folded text; near duplicates (a filing republished with a new date, a file
copied and edited) by MinHash over word 5-gram shingles with locality-sensitive
hashing (datasketch), at Jaccard similarity 0.8 by default. Both run in one pass
while the corpus is read; memory grows with the number of distinct documents
(about 2 KB each for near-duplicate detection), so beyond tens of millions of
documents turn `data.near_duplicates` off or back datasketch's LSH with Redis.
"""

from __future__ import annotations

import hashlib

from datasketch import LeanMinHash


class Deduplicator:
    """Remembers what it has seen and says whether a text duplicates any of it.

    Args:
        near: also look for near duplicates (MinHash LSH), not only exact ones.
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

    def check(self, text: str) -> str | None:
        """`"exact_duplicate"`, `"near_duplicate"`, or None (and `text` is remembered)."""
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
