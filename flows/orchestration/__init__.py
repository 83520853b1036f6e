"""Prefect at the edge: the flows, their tasks, retry policy, deployments and GPU slots.

The only modules that import Prefect. Each flow is a thin shell over plain functions of
`flows.runs`, `flows.evaluation`, `flows.scoring`, `flows.importing` and `flows.report`.
"""
