"""Oracle "methods" for the study's gold items and the metrics' reference rows.

- identity: outputs the unedited source (scores "unedited source vs target"; in the human
  study an edit that must be judged unacceptable);
- ground-truth: outputs the dataset's target image (must be judged acceptable).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from handsoff_core.errors import ItemError, RecordRejected
from handsoff_core.methods.base import (
    EditRequest,
    EditResult,
    MethodConfig,
    check_request,
    edit_each,
)


class _Oracle:
    def __init__(
        self,
        config: MethodConfig,
        models: Any = None,
        *,
        device: Any = None,
        dtype: Any = None,
        cache: Any = None,
    ) -> None:
        self.config = config  # models, device, dtype, cache: unused, no model is involved

    @classmethod
    def default_params(cls, method: str) -> dict[str, Any]:
        return {}

    def _result(self, request: EditRequest, image: Any, notes: list[str]) -> EditResult:
        return EditResult(
            item_id=request.item_id,
            image=image,
            config_hash=self.config.config_hash(),
            seed=request.seed,
            before_captions=[],
            after_captions=[],
            llm_raw_text=None,
            timings={"edit": 0.0},
            notes=notes,
        )

    def edit_batch(self, requests: Sequence[EditRequest]) -> list[EditResult | ItemError]:
        return edit_each(self, requests)

    def edit(self, request: EditRequest) -> EditResult:
        raise NotImplementedError


class IdentityOracle(_Oracle):
    """The unedited source image, as if it were the edit."""

    def edit(self, request: EditRequest) -> EditResult:
        check_request(request, needs_instruction=False)
        return self._result(request, request.source_image.copy(), ["oracle: unedited source"])


class GroundTruthOracle(_Oracle):
    """The dataset's target image, as if it were the edit (resized to the source if needed)."""

    def edit(self, request: EditRequest) -> EditResult:
        from PIL import Image

        check_request(request, needs_instruction=False)
        start = time.perf_counter()
        target = request.target_image
        if target is None:
            raise RecordRejected(f"item {request.item_id!r}: no target image for ground-truth")
        notes = ["oracle: ground-truth target"]
        if target.mode != "RGB":
            target = target.convert("RGB")
            notes.append(f"target converted from {request.target_image.mode} to RGB")  # type: ignore[union-attr]
        if target.size != request.source_image.size:
            notes.append(
                f"target resized {target.size[0]}x{target.size[1]} -> "
                f"{request.source_image.size[0]}x{request.source_image.size[1]} (source size)"
            )
            target = target.resize(request.source_image.size, Image.Resampling.LANCZOS)
        else:
            target = target.copy()
        result = self._result(request, target, notes)
        result.timings["edit"] = time.perf_counter() - start
        return result
