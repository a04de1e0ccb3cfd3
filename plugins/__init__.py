"""First-party domain plugins; each registers through an entry point like any other."""
