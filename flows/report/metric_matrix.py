"""Edit-level metric rows -> one (done edits x metrics) matrix per method config.

A cell holds the value, or NaN when the metric does not apply to that edit (counted as
not applicable) or was never stored (counted as missing). Rows are ordered by sample id, so
configs can be lined up on their samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from flows.report.formatting import MetricKey, metric_sort_key


@dataclass
class ConfigMetrics:
    method_config_id: int
    sample_ids: np.ndarray  # (n,) sample id of each done edit, ascending
    values: np.ndarray  # (n, M) float64, NaN where there is no value
    not_applicable: np.ndarray  # (M,) count of values recorded as not applicable
    missing: np.ndarray  # (M,) done edits with no stored row for the metric

    @property
    def n_values(self) -> np.ndarray:
        return (~np.isnan(self.values)).sum(axis=0)


def metric_keys(frame: pd.DataFrame) -> list[MetricKey]:
    if frame.empty:
        return []
    unique = frame[["metric", "caption_kind", "metric_version"]].drop_duplicates()
    keys: list[MetricKey] = [
        (str(m), str(k), str(v)) for m, k, v in unique.itertuples(index=False, name=None)
    ]
    return sorted(keys, key=metric_sort_key)


def config_matrices(
    frame: pd.DataFrame, done_edits: pd.DataFrame, keys: list[MetricKey]
) -> dict[int, ConfigMetrics]:
    """One ConfigMetrics per config that has done edits."""
    matrices: dict[int, ConfigMetrics] = {}
    if done_edits.empty:
        return matrices
    key_frame = pd.DataFrame(keys, columns=["metric", "caption_kind", "metric_version"])
    key_frame["_key"] = np.arange(len(keys))
    # Each row's metric key as a column number (a vectorised join, no Python loop).
    key_index = (
        frame[["metric", "caption_kind", "metric_version"]]
        .merge(key_frame, how="left", on=["metric", "caption_kind", "metric_version"])["_key"]
        .to_numpy(dtype=np.int64)
        if len(frame)
        else np.zeros(0, dtype=np.int64)
    )
    by_config = frame.assign(_key=key_index).groupby("method_config_id", sort=False)
    for config_id, edits in done_edits.groupby("method_config_id"):
        edits = edits.sort_values("sample_id")
        row_of = pd.Series(np.arange(len(edits)), index=edits["edit_id"].to_numpy())
        values = np.full((len(edits), len(keys)), np.nan)
        stored = np.zeros((len(edits), len(keys)), dtype=bool)
        not_applicable = np.zeros(len(keys), dtype=np.int64)
        if config_id in by_config.groups:
            rows = by_config.get_group(config_id)
            rows = rows[rows["edit_id"].isin(row_of.index)]
            row_index = row_of.loc[rows["edit_id"].to_numpy()].to_numpy()
            col_index = rows["_key"].to_numpy()
            values[row_index, col_index] = rows["value"].to_numpy(dtype=np.float64)
            stored[row_index, col_index] = True
            not_applicable = np.bincount(
                col_index[rows["not_applicable"].notna().to_numpy()], minlength=len(keys)
            )
        matrices[int(config_id)] = ConfigMetrics(
            method_config_id=int(config_id),
            sample_ids=edits["sample_id"].to_numpy(),
            values=values,
            not_applicable=not_applicable,
            missing=(~stored).sum(axis=0),
        )
    return matrices
