"""Writing one item's outcome: a done edit (image + row, one transaction) or a failure."""

from __future__ import annotations

import logging
from enum import StrEnum

from PIL import Image
from sqlalchemy import Engine

from db.engine import session_factory
from db.image_store import png_bytes
from db.queries.edits import EditOutput, store_done_edit, store_failed_edit
from flows.retry import retry_database
from flows.runs.plan import PlannedConfig, RunPlan, SampleRef
from handsoff_core.errors import RewriteParseError
from handsoff_core.methods.base import EditResult

logger = logging.getLogger(__name__)


class Stored(StrEnum):
    DONE = "done"
    FAILED = "failed"
    ALREADY_DONE = "already_done"  # another writer finished this key first


def check_result(result: EditResult, *, config: PlannedConfig, source: Image.Image) -> str | None:
    """What is wrong with a method's result, or None: a wrong result is a failed edit."""
    if result.config_hash != config.config.config_hash():
        return (
            f"method returned a result for config {result.config_hash[:8]}, "
            f"expected {config.config.config_hash()[:8]}"
        )
    if result.image.size != source.size:
        return (
            f"method returned a {result.image.size[0]}x{result.image.size[1]} image for a "
            f"{source.size[0]}x{source.size[1]} source"
        )
    return None


def error_text(error: BaseException) -> str:
    message = str(error) or "(no message)"
    return f"{type(error).__name__}: {message}"


def store_outcome(
    engine: Engine,
    *,
    plan: RunPlan,
    sample: SampleRef,
    config: PlannedConfig,
    outcome: EditResult | Exception,
    source: Image.Image,
    extra_notes: list[str] | None = None,
) -> Stored:
    """Store `outcome` for (sample, config); retried as a whole on transient DB errors."""
    if isinstance(outcome, EditResult):
        problem = check_result(outcome, config=config, source=source)
        if problem is not None:
            outcome = RuntimeError(f"{sample.external_id}: {problem}")
    what = f"run {plan.run_id}: storing {sample.external_id} / {config.label}"
    if isinstance(outcome, EditResult):
        image = outcome.image if outcome.image.mode == "RGB" else outcome.image.convert("RGB")
        notes = list(outcome.notes)
        notes.extend(note for note in extra_notes or [] if note not in notes)
        output = EditOutput(
            png=png_bytes(image),  # encoded outside the transaction: it is the slow part
            width=image.width,
            height=image.height,
            mode=image.mode,
            before_captions=list(outcome.before_captions),
            after_captions=list(outcome.after_captions),
            llm_raw_text=outcome.llm_raw_text,
            timings={key: float(value) for key, value in outcome.timings.items()},
            notes=notes,
        )

        def write_done() -> Stored:
            with session_factory(engine)() as session:
                edit_id = store_done_edit(
                    session=session,
                    run_id=plan.run_id,
                    sample_id=sample.id,
                    method_config_id=config.id,
                    seed=plan.seed,
                    setting=plan.setting,
                    output=output,
                )
                if edit_id is None:
                    # Done by another writer: drop the image written above with the rest.
                    session.rollback()
                    return Stored.ALREADY_DONE
                session.commit()
                return Stored.DONE

        return retry_database(write_done, what=what)

    raw_text = None
    if isinstance(outcome, RewriteParseError) and outcome.raw_texts:
        raw_text = "\n\n----- next attempt -----\n\n".join(outcome.raw_texts)
    error = error_text(outcome)
    logger.warning("%s / %s failed: %s", sample.external_id, config.label, error)

    def write_failed() -> Stored:
        with session_factory(engine)() as session:
            edit_id = store_failed_edit(
                session=session,
                run_id=plan.run_id,
                sample_id=sample.id,
                method_config_id=config.id,
                seed=plan.seed,
                setting=plan.setting,
                error=error,
                llm_raw_text=raw_text,
            )
            session.commit()
            return Stored.FAILED if edit_id is not None else Stored.ALREADY_DONE

    return retry_database(write_failed, what=what)
