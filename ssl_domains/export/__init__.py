"""Serving artefacts: SavedModel, Keras and preset exports with a parity check; predictions."""
