"""Self-supervised losses, one module per loss, on keras.ops (TensorFlow, JAX, PyTorch)."""
