"""Language-learning video backend."""
