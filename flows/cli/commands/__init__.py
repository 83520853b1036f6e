"""Command modules of the `handsoff` CLI; each defines `register(groups)`."""
