"""The text encoder of a domain: its normaliser and tokenizer, fresh or from a preset
(with its vocabulary extended), and unigram baselines."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

import numpy as np
import tensorflow as tf

from ssl_domains.config import RunConfig
from ssl_domains.errors import UserError
from ssl_domains.plugin.recipe import Recipe
from ssl_domains.presets.encoder import Encoder
from ssl_domains.presets.sources import resolve_source
from ssl_domains.text.domain import TextDomain
from ssl_domains.text.normalizer import TextNormalizer
from ssl_domains.text.rules import units_pattern
from ssl_domains.text.tokenizer import DomainTokenizer
from ssl_domains.text.vocabulary import (
    RESERVED,
    count_words,
    grow_backbone,
    literal_units,
    mine_domain_tokens,
    train_vocabulary,
)


def domain_normalizer(domain: TextDomain) -> TextNormalizer:
    """Redactions first (nothing downstream may see an identifier), then normalisations."""
    return TextNormalizer(domain.redactions() + domain.normalizations(), name="normalizer")


def domain_units(domain: TextDomain) -> str | None:
    placeholders = [re.escape(p) for p in domain.placeholders()]
    return units_pattern(placeholders + domain.units())


def word_splitter(
    tokenizer: DomainTokenizer, normalizer: TextNormalizer
) -> Callable[[tf.Tensor], tf.RaggedTensor]:
    return lambda texts: tokenizer.pretokenize(normalizer(texts))


def fresh_vocabulary(
    domain: TextDomain, config: RunConfig, train_records: tf.data.Dataset
) -> DomainTokenizer:
    """The domain's tokenizer over a WordPiece vocabulary trained on the corpus."""
    normalizer = domain_normalizer(domain)
    splitter = DomainTokenizer(lowercase=domain.lowercase, units=domain_units(domain))
    reserved = RESERVED + [p for p in domain.placeholders() if p not in RESERVED]
    vocabulary = train_vocabulary(
        train_records, word_splitter(splitter, normalizer), config.model.vocabulary_size, reserved
    )
    spaced = [token for token in vocabulary if re.search(r"\s", token)]
    if spaced:  # a vocabulary file holds one token per line: whitespace cannot survive it
        raise UserError(
            f"domain {domain.name!r}: a unit pattern matched text with whitespace "
            f"({spaced[0]!r}); units must not span spaces"
        )
    return DomainTokenizer(vocabulary, lowercase=domain.lowercase, units=splitter.units)


def fresh_text_encoder(
    domain: TextDomain, recipe: Recipe, config: RunConfig, train_records: tf.data.Dataset
) -> Encoder:
    """A randomly initialised backbone over a WordPiece vocabulary trained on the corpus."""
    if config.model.size not in recipe.sizes:
        sizes = ", ".join(recipe.sizes)
        raise UserError(f"unknown model.size {config.model.size!r} for {recipe.name}: {sizes}")
    tokenizer = fresh_vocabulary(domain, config, train_records)
    backbone = recipe.build_backbone(
        config.model.size,
        vocabulary_size=tokenizer.vocabulary_size(),
        sequence_length=config.data.seq_len,
    )
    return Encoder(backbone, tokenizer, domain_normalizer(domain), config.data.seq_len)


def pretrained_text_encoder(
    domain: TextDomain,
    config: RunConfig,
    train_records: tf.data.Dataset,
    trusted: Collection[str] = ("ssl_domains",),
) -> Encoder:
    """Load `--from`, put the domain's normaliser in front, and extend its vocabulary if asked.

    Extension needs a WordPiece tokenizer (BERT family): the new tokens are whole
    words, kept whole by a `DomainTokenizer` whose units are exactly those tokens.
    """
    encoder = Encoder.load(resolve_source(config.model.source), config.data.seq_len, trusted)
    encoder.normalizer = domain_normalizer(domain)
    if encoder.tokenizer is None:
        raise UserError(f"{config.model.source} has no tokenizer; a text recipe needs one")
    if config.model.extend_vocabulary > 0:
        extend_vocabulary(encoder, domain, train_records, config.model.extend_vocabulary)
    return encoder


def extended_tokenizer(
    old, domain: TextDomain, train_records: tf.data.Dataset, normalizer, limit: int
) -> tuple[DomainTokenizer | None, list[str], list[list[int]]]:
    """`old` plus up to `limit` mined domain tokens: (tokenizer, added tokens, the old
    piece ids of each added token). The tokenizer is None when nothing was added.

    Needs WordPiece with BERT's special tokens (BERT, DistilBERT): the extended
    tokenizer is a `DomainTokenizer`. SentencePiece and byte-level BPE vocabularies
    (RoBERTa, XLM-RoBERTa, ALBERT) are refused: a new piece there would need new
    merges or a rewritten model proto, and XLM-RoBERTa's `<mask>` id is its last."""
    from ssl_domains.presets.families import (
        TOKENIZER_NAMES,
        WORDPIECE,
        family_names,
        tokenizer_kind,
    )

    kind = tokenizer_kind(old)
    bert_specials = {"[CLS]", "[SEP]", "[PAD]", "[MASK]"}
    if kind != WORDPIECE or not bert_specials <= set(getattr(old, "special_tokens", [])):
        what = TOKENIZER_NAMES.get(kind, "not WordPiece")
        what = "WordPiece without BERT's special tokens" if kind == WORDPIECE else what
        raise UserError(
            f"vocabulary extension works for WordPiece families "
            f"({family_names(lambda f: f.extends_vocabulary)}); {type(old).__name__} is "
            f"{what}: leave model.extend_vocabulary at 0"
        )
    splitter = DomainTokenizer(lowercase=old.lowercase, units=domain_units(domain))
    counts = count_words(train_records, word_splitter(splitter, normalizer))
    vocabulary = old.get_vocabulary()

    def tokenize(words: list[str]) -> list[list[int]]:
        pieces = old(tf.constant(words))  # eager keras-hub calls may return lists
        pieces = pieces.to_list() if isinstance(pieces, tf.RaggedTensor) else pieces
        return [list(map(int, p)) for p in pieces]

    added = mine_domain_tokens(counts, tokenize, vocabulary, limit)
    if not added:
        return None, [], []
    existing_units = getattr(old, "units", None)
    units = "|".join(p for p in (existing_units, literal_units(added)) if p) or None
    tokenizer = DomainTokenizer(
        vocabulary + added,
        lowercase=old.lowercase,
        units=units,
        special_tokens_in_strings=old.special_tokens_in_strings,
    )
    return tokenizer, added, tokenize(added)


def extend_vocabulary(
    encoder: Encoder, domain: TextDomain, train_records: tf.data.Dataset, limit: int
) -> list[str]:
    """Append up to `limit` mined domain tokens to `encoder` in place; return them."""
    tokenizer, added, pieces = extended_tokenizer(
        encoder.tokenizer, domain, train_records, encoder.normalizer, limit
    )
    if tokenizer is not None:
        encoder.tokenizer = tokenizer
        encoder.backbone = grow_backbone(encoder.backbone, tokenizer.vocabulary_size(), pieces)
        encoder.info["added_tokens"] = len(added)
    return added


def unigram_counts(records: tf.data.Dataset, encoder: Encoder, max_documents: int = 20_000):
    """Token frequencies over (a sample of) the training records, for baselines."""
    size = encoder.tokenizer.vocabulary_size()
    counts = np.zeros(size, np.float64)
    tokens = (
        records.take(max_documents)
        .batch(512)
        .map(lambda t: encoder.tokenizer(encoder.normalize(t)))
    )
    for batch in tokens:
        counts += np.bincount(batch.flat_values.numpy(), minlength=size)[:size]
    counts[encoder.tokenizer.special_token_ids] = 0
    return counts
