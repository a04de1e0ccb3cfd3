"""Encoders as keras-hub presets: what --from points at, model families, loading and saving."""
