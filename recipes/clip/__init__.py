"""CLIP: contrastive language-image pretraining of a dual encoder (`recipe.py`, `model.py`)."""
