"""Image-text pairs: the domain base, reading, the modality, the dual encoder, zero-shot."""
