"""A run's edited images as files other tools read, with an index of what each file is.

Layouts:
- `magicbrush`: per method config, the folders MagicBrush's `evaluation/image_eval.py` takes
  as `--generated_path` and `--gt_path`, plus its `--caption_path` file. Generated images
  of a session are `<session>_1.png` for the first turn and `<session>_inde_<t>.png` (a
  single-turn run: each turn edited from its gold input) or `<session>_iter_<t>.png` (a
  multi-turn run: each turn from the method's own previous output) for turn t >= 2; the gold
  folder holds `<session>-input.png` and `<session>-output<t>.png`. The script pairs a
  session's files by the digits in their names and refuses a session whose turn counts
  differ, so a session with a failed or missing edit is left out of that config's folders
  (the index still lists it, without a path).
- `folder`: `<config>/<sample>.png` for every done edit, with `input/` and `target/`.

Every layout writes `index.csv`: one row per edit (sample, session, turn, config label,
status, image sha256, path, captions, the LLM's text, error, metric values). Files are the
stored PNG bytes, so a file's sha256 is the index's.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.engine import session_scope
from db.image_store import get_image_bytes
from db.models import Setting
from db.queries.csv_safe import csv_text
from db.queries.exports import ExportedEdit, edit_metric_values, run_edits
from flows.runs.plan import PlannedConfig, RunPlan, SampleRef, load_plan

Layout = Literal["magicbrush", "folder"]
LAYOUTS: tuple[Layout, ...] = ("magicbrush", "folder")
INDEX_COLUMNS = (
    "sample",
    "session",
    "turn",
    "config",
    "status",
    "image_sha256",
    "path",
    "instruction",
    "before_captions",
    "after_captions",
    "llm_raw_text",
    "error",
    "metrics",
)
_UNSAFE = re.compile(r"[^A-Za-z0-9@.=+-]")


class ExportError(ValueError):
    """The export cannot be written as asked (an unknown layout, a folder that is not empty)."""


def safe_name(text: str) -> str:
    """`text` as one file-name component: other characters become `_`, and a name that had
    to change gets a short hash of the original, so two different ids never share a file."""
    cleaned = _UNSAFE.sub("_", text).strip("._") or "_"
    if cleaned == text:
        return text
    return f"{cleaned[:80]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


@dataclass
class ImageExport:
    run_id: int
    layout: Layout
    out: Path
    files: int = 0
    edits: int = 0
    left_out: dict[str, int] = field(default_factory=dict)  # config label -> sessions

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "layout": self.layout,
            "out": str(self.out),
            "files": self.files,
            "edits": self.edits,
            "index": str(self.out / "index.csv"),
            "sessions_left_out": self.left_out,
        }


class _Writer:
    """Writes stored images to files, counting them; one read session for the export."""

    def __init__(self, session: Session, out: Path) -> None:
        self.session, self.out, self.files = session, out, 0

    def write(self, sha256: str, relative: Path) -> str:
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(get_image_bytes(session=self.session, sha256=sha256))
        self.files += 1
        return relative.as_posix()


def _sessions(samples: list[SampleRef]) -> Iterator[tuple[str, list[SampleRef]]]:
    by_session: dict[str, list[SampleRef]] = {}
    for sample in samples:
        by_session.setdefault(sample.session_id, []).append(sample)
    for session_id, turns in sorted(by_session.items()):
        yield session_id, sorted(turns, key=lambda s: s.turn_index)


def _magicbrush(
    writer: _Writer,
    plan: RunPlan,
    config: PlannedConfig,
    edits: dict[tuple[int, int], ExportedEdit],
    paths: dict[int, str],
) -> int:
    """One config's MagicBrush folders; returns how many sessions were left out."""
    folder = Path(safe_name(config.label))
    turn_kind = "iter" if plan.setting == Setting.MULTI_TURN else "inde"
    captions: dict[str, dict[str, str]] = {}
    left_out = 0
    for session_id, turns in _sessions(plan.samples):
        done = [edits.get((s.id, config.id)) for s in turns]
        if any(e is None or e.output_image is None for e in done) or any(
            s.target_image is None for s in turns
        ):
            left_out += 1
            continue
        name = safe_name(session_id)
        writer.write(turns[0].source_image, folder / "gt" / name / f"{name}-input.png")
        for sample, edit in zip(turns, done, strict=True):
            assert edit is not None and edit.output_image and sample.target_image
            t = sample.turn_index
            generated = f"{name}_1.png" if t == 1 else f"{name}_{turn_kind}_{t}.png"
            paths[edit.edit_id] = writer.write(
                edit.output_image, folder / "generated" / name / generated
            )
            gold = f"{name}-output{t}.png"
            writer.write(sample.target_image, folder / "gt" / name / gold)
            captions.setdefault(name, {})[gold] = sample.output_caption_global or ""
    (writer.out / folder).mkdir(parents=True, exist_ok=True)
    (writer.out / folder / "global_descriptions.json").write_text(
        json.dumps(captions, indent=1, sort_keys=True), encoding="utf-8"
    )
    return left_out


def _folder(
    writer: _Writer,
    plan: RunPlan,
    config: PlannedConfig,
    edits: dict[tuple[int, int], ExportedEdit],
    paths: dict[int, str],
) -> None:
    folder = Path(safe_name(config.label))
    for sample in plan.samples:
        edit = edits.get((sample.id, config.id))
        if edit is not None and edit.output_image is not None:
            name = f"{safe_name(sample.external_id)}.png"
            paths[edit.edit_id] = writer.write(edit.output_image, folder / name)


def _inputs_and_targets(writer: _Writer, plan: RunPlan) -> None:
    for sample in plan.samples:
        name = f"{safe_name(sample.external_id)}.png"
        writer.write(sample.source_image, Path("input") / name)
        if sample.target_image is not None:
            writer.write(sample.target_image, Path("target") / name)


def export_images(
    *,
    engine: Engine,
    run_id: int,
    layout: str,
    out: Path,
    on_config: Callable[[str], None] = lambda _label: None,
) -> ImageExport:
    """Write run `run_id`'s edits under `out` (created; refused when it holds files)."""
    if layout not in LAYOUTS:
        raise ExportError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} is not an empty folder: choose a new one")
    plan = load_plan(engine, run_id)
    with session_scope(engine) as session:
        stored = run_edits(
            session=session,
            config_ids=[c.id for c in plan.configs],
            sample_ids=[s.id for s in plan.samples],
            seed=plan.seed,
            setting=plan.setting,
        )
        metrics = edit_metric_values(session=session, edit_ids=[e.edit_id for e in stored])
    edits = {(e.sample_id, e.method_config_id): e for e in stored}
    out.mkdir(parents=True, exist_ok=True)
    result = ImageExport(run_id=run_id, layout=cast(Layout, layout), out=out, edits=len(stored))
    paths: dict[int, str] = {}
    with session_scope(engine) as session:
        writer = _Writer(session, out)
        for config in plan.configs:
            on_config(config.label)
            if layout == "magicbrush":
                result.left_out[config.label] = _magicbrush(writer, plan, config, edits, paths)
            else:
                _folder(writer, plan, config, edits, paths)
        if layout == "folder":
            _inputs_and_targets(writer, plan)
    labels = {c.id: c.label for c in plan.configs}
    samples = {s.id: s for s in plan.samples}
    rows = [
        {
            "sample": samples[e.sample_id].external_id,
            "session": samples[e.sample_id].session_id,
            "turn": samples[e.sample_id].turn_index,
            "config": labels[e.method_config_id],
            "status": e.status,
            "image_sha256": e.output_image or "",
            "path": paths.get(e.edit_id, ""),
            "instruction": samples[e.sample_id].instruction,
            "before_captions": json.dumps(e.before_captions, ensure_ascii=False),
            "after_captions": json.dumps(e.after_captions, ensure_ascii=False),
            "llm_raw_text": e.llm_raw_text or "",
            "error": e.error or "",
            "metrics": json.dumps(metrics.get(e.edit_id, {}), sort_keys=True),
        }
        for e in stored
    ]
    (out / "index.csv").write_text(csv_text(rows, INDEX_COLUMNS), encoding="utf-8")
    result.files = writer.files + 1
    return result
