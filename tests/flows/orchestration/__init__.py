"""Tests of flows.orchestration: the Prefect flows under a test harness."""
