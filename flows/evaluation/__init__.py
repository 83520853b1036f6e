"""Evaluating a run's shard: batches of items through methods, outcomes stored, stages cached."""
