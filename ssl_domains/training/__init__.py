"""The trainer, its callbacks and the run directory it writes."""
