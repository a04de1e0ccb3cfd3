"""The text modality: reading, rules, normalisation, tokenisation, vocabularies, packing, tasks."""
