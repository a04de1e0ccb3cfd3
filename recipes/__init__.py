"""First-party recipes, one module per self-supervised objective."""
