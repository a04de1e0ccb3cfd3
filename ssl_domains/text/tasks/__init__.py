"""Text fine-tuning tasks: classification, pair classification, regression, token tagging."""
