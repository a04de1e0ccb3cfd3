"""The plugin contracts (domains, recipes, modalities) and their discovery through entry points."""
