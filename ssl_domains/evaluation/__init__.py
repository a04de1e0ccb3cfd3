"""Representation quality: linear and kNN probes on frozen embeddings."""
