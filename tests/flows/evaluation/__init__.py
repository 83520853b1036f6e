"""Tests of flows.evaluation: the evaluation loop, its storage and the stage cache."""
