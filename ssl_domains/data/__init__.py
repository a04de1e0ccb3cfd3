"""Corpus data of any modality: files, duplicates, shards, prepared corpora, labeled sets."""
