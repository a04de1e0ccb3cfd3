"""Shared parts of self-supervised objectives: losses (one module each), cross-replica rows."""
