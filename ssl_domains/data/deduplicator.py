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
turn `data.near_duplicates` off (exact duplicates cost 16 bytes each).

Deciding is split from measuring so that preparation can run on many processes and
still decide in one: `Deduplicator.fingerprint` (no state; run by any worker) turns a
key into a `Fingerprint` (exact digest, MinHash signature or perceptual hash), and
`Deduplicator.check_fingerprint` (one process, in input order) decides. MinHash
signatures hash each word once (CRC-32) and combine the word hashes of a shingle with
numpy, instead of SHA-1 per shingle string; the permutations are drawn once per
deduplicator, and the signatures of many documents are computed in one numpy pass
(`Deduplicator.fingerprints`), equal to datasketch's one at a time: the costs that
dominated profiles, in that order.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import zlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

# Shingles permuted at a time (`_minhashes`): bounds its (shingles x permutations) matrix.
SHINGLE_CHUNK = 8192


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
        self.signatures: list[np.ndarray] = []  # of the documents kept, by index
        self.buckets: dict[bytes, int] = {}  # tagged LSH band value -> first signature
        self.more_buckets: dict[bytes, list[int]] = {}  # -> the later ones
        self.hashes: dict[int, HammingIndex] = {}  # by `within`
        self._lsh = None
        self._permutations = None

    def settings(self) -> dict[str, Any]:
        """The arguments that make an empty deduplicator like this one (for workers)."""
        return dict(
            near=self.near, threshold=self.threshold, num_perm=self.num_perm, shingle=self.shingle
        )

    def blank(self) -> Deduplicator:
        """An empty deduplicator like this one, for workers to fingerprint with. Its
        MinHash permutations are drawn already, so a worker neither draws them again
        nor imports datasketch (which loads SciPy: 0.6 s of CPU)."""
        blank = Deduplicator(**self.settings())
        blank._permutations = self.permutations if self.near else None
        return blank

    @property
    def lsh(self):
        if self._lsh is None:
            from datasketch import MinHashLSH

            # Its bands (for a lower threshold: candidates with high recall, each then
            # confirmed by estimated Jaccard similarity) are what `_near_signature`
            # uses; `beam_pipeline` bands the same way.
            threshold = max(self.threshold - 0.15, 0.3)
            self._lsh = MinHashLSH(threshold=threshold, num_perm=self.num_perm)
        return self._lsh

    @property
    def permutations(self) -> np.ndarray:
        """datasketch's MinHash permutations for `num_perm` (its default seed): the
        `a` and `b` of `h -> a * h + b mod 2**32`, drawn once."""
        if self._permutations is None:
            from datasketch import MinHash

            minhash = MinHash(num_perm=self.num_perm, hashfunc=int, scheme="affine32")
            self._permutations = minhash.permutations
        return self._permutations

    def _minhashes(self, texts: list[list[str]]) -> list[np.ndarray]:
        """The MinHash hash values of the `shingle`-word shingles of each of `texts`
        (lists of words, none empty), equal to datasketch's `MinHash.update_batch`.

        Computed together, `SHINGLE_CHUNK` shingles at a time (bounding the matrix of
        shingles by permutations), each text's minimum taken by `np.minimum.reduceat`:
        one datasketch `MinHash` per paragraph spent most of its time in numpy's cost
        per call, not in hashing.
        """
        if not texts:
            return []
        a, b = self.permutations
        hashes = [shingle_hashes(words, min(self.shingle, len(words))) for words in texts]
        flat = murmur_finalize(np.concatenate(hashes))
        starts = np.cumsum([0, *map(len, hashes[:-1])])
        minima = np.full((len(texts), self.num_perm), np.iinfo(np.uint32).max, np.uint32)
        for low in range(0, len(flat), SHINGLE_CHUNK):
            high = min(low + SHINGLE_CHUNK, len(flat))
            first = np.searchsorted(starts, low, "right") - 1  # texts [first, last) overlap
            last = np.searchsorted(starts, high, "left")
            cuts = np.maximum(starts[first:last], low) - low
            permuted = flat[low:high, None] * a + b  # wraps around: mod 2**32
            chunk = np.minimum.reduceat(permuted, cuts, axis=0)
            np.minimum(minima[first:last], chunk, out=minima[first:last])
        return list(minima)

    def fingerprint(self, key: str | HashKey) -> Fingerprint:
        """What `check_fingerprint` needs of `key`; uses no state, so any process may."""
        return self.fingerprints([key])[0]

    def fingerprints(
        self, keys: list[str | HashKey], digests: list[bytes] | None = None
    ) -> list[Fingerprint]:
        """`fingerprint` of each of `keys`, whose `exact_digest`s may be given; the
        MinHash signatures of the texts are computed together (`_minhashes`)."""
        digests = digests or [exact_digest(key) for key in keys]
        words = {}
        if self.near:
            texts = ((i, key) for i, key in enumerate(keys) if not isinstance(key, HashKey))
            words = {i: split for i, key in texts if (split := key.casefold().split())}
        signatures = dict(zip(words, self._minhashes(list(words.values())), strict=True))
        found = []
        for i, (key, digest) in enumerate(zip(keys, digests, strict=True)):
            if isinstance(key, HashKey):
                bits = key.bits if self.near else None
                found.append(Fingerprint(digest, bits=bits, within=key.within))
            else:
                found.append(Fingerprint(digest, signatures.get(i)))
        return found

    def check(self, text: str | HashKey) -> str | None:
        """`"exact_duplicate"`, `"near_duplicate"`, or None (and `text` is remembered).

        A `HashKey`'s near duplicates are looked for only when this deduplicator looks
        for near duplicates at all (`near`) and the key has `bits`."""
        if exact_digest(text) in self.seen:  # before the signature, which costs more
            return "exact_duplicate"
        return self.check_fingerprint(self.fingerprint(text))

    def check_fingerprint(self, found: Fingerprint) -> str | None:
        """`check`, for a key already turned into its `fingerprint`."""
        if found.exact in self.seen:
            return "exact_duplicate"
        self.seen.add(found.exact)
        if found.signature is not None and self._near_signature(found.signature):
            return "near_duplicate"
        if found.bits is not None:
            index = self.hashes.setdefault(found.within, HammingIndex(found.within))
            if index.find(found.bits) is not None:
                return "near_duplicate"
            index.add(found.bits)
        return None

    def _near_signature(self, signature: np.ndarray) -> bool:
        """Whether a remembered signature is near `signature`; if not, remember it.

        Banded as datasketch's `MinHashLSH` bands it for this threshold (its
        `hashranges`), so the candidates are the same, but looked up in a plain dict
        of band bytes (each tagged with its band's number), whose lookups and inserts
        run as a set intersection and a `map`, not a loop over bands: datasketch's
        per-band byte swaps and set storage, and then that loop, cost more than the
        rest of the check. A bucket holds its first signature in `buckets`, any
        later ones in `more_buckets` (most buckets hold one). Candidates are confirmed
        by estimated Jaccard similarity, the share of equal hash values
        (`MinHash.jaccard`).
        """
        keys = band_keys(signature, self.lsh.b, self.lsh.r)
        shared = self.buckets.keys() & keys
        candidates = {self.buckets[key] for key in shared}
        for key in shared:
            candidates.update(self.more_buckets.get(key, ()))
        for index in candidates:
            if signature_similarity(signature, self.signatures[index]) >= self.threshold:
                return True
        number = len(self.signatures)
        firsts = list(map(self.buckets.setdefault, keys, itertools.repeat(number)))
        if shared:  # buckets that held a signature already
            for key, first in zip(keys, firsts, strict=True):
                if first != number:
                    self.more_buckets.setdefault(key, []).append(number)
        self.signatures.append(signature)
        return False


class Fingerprint(NamedTuple):
    """A dedup key as `Deduplicator.check_fingerprint` compares it: small, picklable.

    exact: digest of the case-folded, whitespace-collapsed text (or of a `HashKey`'s
        content digest); equal digests are exact duplicates.
    signature: the text's MinHash hash values, for near duplicates (None: not looked for).
    bits, within: a `HashKey`'s perceptual hash and its radius (None: not looked for).
    """

    exact: bytes
    signature: Any = None
    bits: int | None = None
    within: int = 0


def deduplicator_for(deduplicate: bool, near_duplicates: bool) -> Deduplicator | None:
    """The deduplicator a corpus's settings (`data.deduplicate`, `data.near_duplicates`)
    ask for; None keeps duplicates. The one place those settings become one."""
    return Deduplicator(near=near_duplicates) if deduplicate else None


def band_keys(signature: np.ndarray, bands: int, rows: int) -> list[bytes]:
    """Bytes for each of `bands` runs of `rows` hash values, in order: the bands of
    `MinHashLSH.hashranges` (`b` runs of `r`, any values after them unused). Each
    starts with its band's number, so equal values in two bands are two keys."""
    tagged = np.empty((bands, rows + 1), signature.dtype)
    tagged[:, 0] = band_numbers(bands)
    tagged[:, 1:] = signature[: bands * rows].reshape(bands, rows)
    return tagged.view(f"V{(rows + 1) * signature.itemsize}").ravel().tolist()


@functools.cache
def band_numbers(bands: int) -> np.ndarray:
    return np.arange(bands)


def signature_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two MinHash signatures: the share of equal hash
    values (as `MinHash.jaccard` computes it)."""
    return np.count_nonzero(a == b) / len(a)


def exact_digest(key: str | HashKey) -> bytes:
    """What counts as the same document: 16 bytes of the normalised text (or hash)."""
    if isinstance(key, HashKey):  # 16 bytes too: workers share a table of these
        return hashlib.blake2b(b"hash:" + key.exact.encode(), digest_size=16).digest()
    return hashlib.blake2b(" ".join(key.casefold().split()).encode(), digest_size=16).digest()


def shingle_hashes(words: list[str], size: int) -> np.ndarray:
    """A 32-bit hash of each run of `size` consecutive words.

    Each word is hashed once (CRC-32 of its UTF-8: stable across processes, unlike
    `hash`) and a shingle's hashes are combined FNV-style in numpy; MinHash mixes the
    result again (datasketch's affine32 scheme) before permuting it.
    """
    encoded = " ".join(words).encode().split(b" ")  # one encode, not one per word
    data = np.fromiter(map(zlib.crc32, encoded), dtype=np.uint32, count=len(words))
    count = len(words) - size + 1
    combined = data[:count].copy()
    for offset in range(1, size):
        combined = (combined * np.uint32(0x01000193)) ^ data[offset : offset + count]
    return combined


def murmur_finalize(hashes: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer on each value, as datasketch mixes a hash before
    permuting it (so that weak hashes spread over every bit)."""
    hashes = hashes ^ (hashes >> np.uint32(16))
    hashes = hashes * np.uint32(0x85EBCA6B)
    hashes = hashes ^ (hashes >> np.uint32(13))
    hashes = hashes * np.uint32(0xC2B2AE35)
    return hashes ^ (hashes >> np.uint32(16))
