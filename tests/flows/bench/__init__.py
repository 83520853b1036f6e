"""Tests of flows.bench: each benchmark command at its smallest size."""
