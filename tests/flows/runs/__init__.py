"""Tests of flows.runs: creating runs and their requests."""
