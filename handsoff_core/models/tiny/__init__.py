"""Toy-size models with random weights, saved as from_pretrained folders (see `build`)."""
