"""The metric registry: one `MetricSpec` per metric, read by the API and by the version views."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from PIL import Image

from handsoff_core.metrics import (
    ALL_METRICS,
    MODEL_FREE_METRICS,
    EditToScore,
    MetricModels,
    MetricSpec,
    NotApplicable,
    metric_version,
    score_edit,
)
from handsoff_core.metrics.registry import (
    metric_spec,
    metric_specs,
    register_metric,
    unregister_metric,
)
from handsoff_core.metrics.versions import DEFINITION_REVISIONS

from .photo_like import photo_like


def _width_ratio(item: EditToScore) -> float:
    if item.target is None:
        raise NotApplicable("no ground-truth target image")
    return item.edit.width / item.target.width


@pytest.fixture
def width_ratio() -> Iterator[MetricSpec]:
    spec = register_metric(
        MetricSpec("width-ratio", 3, "edit width / target width.", compute=_width_ratio)
    )
    try:
        yield spec
    finally:
        unregister_metric("width-ratio")


def test_built_in_registry_in_display_order_with_model_and_direction() -> None:
    assert [(s.name, s.model, s.better) for s in metric_specs()] == [
        ("l1", None, "lower"),
        ("l2", None, "lower"),
        ("clip-i", "clip", "higher"),
        ("dino", "dino", "higher"),
        ("clip-t", "clip", "higher"),
        ("preservation-l1", None, "lower"),
        ("preservation-psnr", None, "higher"),
        ("preservation-ssim", None, "higher"),
        ("caption-bleu", None, "higher"),
        ("caption-cosine", "sentence_embedder", "higher"),
    ]
    assert tuple(ALL_METRICS) == tuple(s.name for s in metric_specs())
    assert set(MODEL_FREE_METRICS) == {
        "l1",
        "l2",
        "preservation-l1",
        "preservation-psnr",
        "preservation-ssim",
        "caption-bleu",
    }
    assert dict(DEFINITION_REVISIONS) == {s.name: 1 for s in metric_specs()}


def test_each_metric_yields_exactly_the_caption_kinds_its_spec_declares(
    metric_models: MetricModels,
) -> None:
    mask = Image.new("L", (40, 32))
    mask.paste(255, (8, 8, 24, 24))
    item = EditToScore(
        "full",
        photo_like(40, 32, seed=5),
        source=photo_like(40, 32, seed=6),
        target=photo_like(40, 32, seed=7),
        mask=mask,
        global_caption="a red car in a street",
        local_caption="a red car",
        generated_captions=["a blue car in a street"],
    )
    yielded = [(v.metric, v.caption_kind) for v in score_edit(item, metric_models)]
    assert yielded == [(s.name, kind) for s in metric_specs() for kind in s.caption_kinds]


def test_a_registered_metric_is_in_every_view_and_scored_until_removed(
    width_ratio: MetricSpec,
) -> None:
    assert ALL_METRICS[-1] == "width-ratio" and "width-ratio" in MODEL_FREE_METRICS
    assert DEFINITION_REVISIONS["width-ratio"] == 3
    assert metric_version("width-ratio") == "width-ratio/3"
    item = EditToScore("wide", photo_like(48, 32, seed=1), target=photo_like(32, 32, seed=2))
    values = score_edit(item, metrics=["l1", "width-ratio"])
    assert [(v.metric, v.version, v.value) for v in values][1] == (
        "width-ratio",
        "width-ratio/3",
        1.5,
    )
    bare = score_edit(EditToScore("bare", photo_like(8, 8, seed=3)), metrics=["width-ratio"])
    assert [(v.value, v.not_applicable) for v in bare] == [(None, "no ground-truth target image")]
    unregister_metric("width-ratio")
    try:
        assert "width-ratio" not in ALL_METRICS and "width-ratio" not in MODEL_FREE_METRICS
        with pytest.raises(ValueError, match="unknown metric 'width-ratio'; known: l1, l2"):
            metric_spec("width-ratio")
    finally:
        register_metric(width_ratio)  # the fixture removes it again


def test_registering_refuses_a_duplicate_or_a_metric_nothing_would_compute() -> None:
    with pytest.raises(ValueError, match="metric 'l1' is already registered"):
        register_metric(MetricSpec("l1", 2, "another l1", compute=_width_ratio))
    with pytest.raises(ValueError, match="metric 'sharpness': only model-free metrics"):
        register_metric(MetricSpec("sharpness", 1, "CLIP sharpness", model="clip"))
    with pytest.raises(ValueError, match="metric 'l1' is built in and cannot be unregistered"):
        unregister_metric("l1")
    with pytest.raises(ValueError, match="metric 'nothing' is not registered"):
        unregister_metric("nothing")
    assert tuple(ALL_METRICS)[-1] == "caption-cosine"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"name": "Width Ratio"}, "the name must be lower-case words joined by '-'"),
        ({"revision": 0}, "revision 0 is not a positive integer"),
        ({"definition": " "}, "the definition is empty"),
        ({"headline": "global"}, "headline kind 'global' is not one it yields"),
        ({"compute": None}, "a model-free metric needs compute"),
        ({"model": "clip"}, "a model-based metric is computed batched on its model"),
        ({"caption_kinds": ("global", "local")}, "exactly one caption kind"),
        ({"caption_kinds": ("long",)}, "caption kinds ('long',) are not among"),
    ],
)
def test_a_spec_states_what_is_wrong_with_it(fields: dict[str, object], problem: str) -> None:
    spec = {"name": "width-ratio", "revision": 1, "definition": "w", "compute": _width_ratio}
    with pytest.raises(ValueError, match=r"^metric '[^']*': ") as error:
        MetricSpec(**(spec | fields))  # type: ignore[arg-type]
    assert problem in str(error.value)


def test_the_registry_and_versions_import_without_torch() -> None:
    """The report and the run digest read the registry; they must not pay for torch."""
    code = (
        "import sys; import handsoff_core.metrics.versions, handsoff_core.metrics.registry; "
        "from handsoff_core.metrics import ALL_METRICS; tuple(ALL_METRICS); "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "False"), result.stderr
