"""PIE-Bench metric names and version strings, in the project's `<metric>/<revision>` form.

Same convention as `handsoff_core.metrics.versions`: bump a revision whenever the computation
changes; model-based metrics append `+<model identity>`.
"""

from __future__ import annotations

PIE_BACKGROUND_PSNR = "pie-background-psnr"
PIE_BACKGROUND_MSE = "pie-background-mse"
PIE_BACKGROUND_SSIM = "pie-background-ssim"

# Revision 1 of each: `evaluation/matrics_calculator.py` as of the PnPInversion release.
PIE_DEFINITION_REVISIONS: dict[str, int] = {
    # torchmetrics PeakSignalNoiseRatio(data_range=1.0) of source and edit, both [0,1] and
    # multiplied by the background mask 1 - mask (whole image compared, masked pixels 0).
    PIE_BACKGROUND_PSNR: 1,
    # torchmetrics MeanSquaredError over all 3*H*W elements of the same masked images.
    PIE_BACKGROUND_MSE: 1,
    # torchmetrics StructuralSimilarityIndexMeasure(data_range=1.0) (Gaussian 11, sigma 1.5)
    # of the same masked images.
    PIE_BACKGROUND_SSIM: 1,
}
PIE_MODEL_FREE_METRICS = frozenset({PIE_BACKGROUND_PSNR, PIE_BACKGROUND_MSE, PIE_BACKGROUND_SSIM})


def pie_metric_version(metric: str, *, model_identity: str | None = None) -> str:
    """Version string of a PIE-Bench metric, e.g. "pie-background-psnr/1"."""
    if metric not in PIE_DEFINITION_REVISIONS:
        known = ", ".join(PIE_DEFINITION_REVISIONS)
        raise ValueError(f"unknown PIE-Bench metric {metric!r}; known: {known}")
    version = f"{metric}/{PIE_DEFINITION_REVISIONS[metric]}"
    if metric in PIE_MODEL_FREE_METRICS:
        return version
    if not model_identity:
        raise ValueError(f"PIE-Bench metric {metric!r} needs the identity of its model")
    return f"{version}+{model_identity}"
