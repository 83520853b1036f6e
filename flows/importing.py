"""Importing a dataset into the database, one record at a time.

A bad record is rejected with its id and reason and the rest goes on; re-importing the same
data adds nothing (samples are keyed by (dataset, external id)); images are content-
addressed, so a turn's target and the next turn's source are stored once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from sqlalchemy import BigInteger, Engine, Integer, SmallInteger, String
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from db.engine import session_scope
from db.image_store import png_bytes, put_png
from db.models import Dataset, Sample
from db.queries.datasets import add_sample, existing_external_ids, get_or_create_dataset
from handsoff_core.data.bounds import DEFAULT_LIMITS, ReadLimits
from handsoff_core.data.field_rules import FieldLimits, check_text
from handsoff_core.data.records import (
    MAX_INSTRUCTION_CHARS,
    RejectedRecord,
    SampleRecord,
    ValidatedSample,
    validate_record,
)
from handsoff_core.errors import HandsoffError, RecordRejected
from handsoff_core.images import DEFAULT_MAX_PIXELS

logger = logging.getLogger(__name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Samples per transaction: large enough to amortise commits, small enough that an
# interrupted import loses little and a rerun picks up the rest.
COMMIT_EVERY = 50

# Ranges of the SQL integer types (PostgreSQL's; SQLite stores any of them in 64 bits).
_INTEGER_RANGES = {
    SmallInteger: (-(2**15), 2**15 - 1),
    Integer: (-(2**31), 2**31 - 1),
    BigInteger: (-(2**63), 2**63 - 1),
}


def _sample_field_limits() -> FieldLimits:
    """Column lengths and integer ranges of `sample`, read from the model (one source of
    truth: a migration that widens a column widens what the importer accepts)."""
    max_chars: dict[str, int] = {}
    integer_ranges: dict[str, tuple[int, int]] = {}
    for column in Sample.__table__.columns:
        if isinstance(column.type, String) and column.type.length is not None:
            max_chars[column.name] = column.type.length
        for kind in (BigInteger, SmallInteger, Integer):  # subclasses before Integer
            if isinstance(column.type, kind):
                integer_ranges[column.name] = _INTEGER_RANGES[kind]
                break
    return FieldLimits(max_chars=max_chars, integer_ranges=integer_ranges)


SAMPLE_FIELD_LIMITS = _sample_field_limits()


class DatasetNameRejected(HandsoffError):
    """A dataset name the database cannot store (empty, NUL, lone surrogate, too long)."""


def check_dataset_name(name: str) -> None:
    """Raise `DatasetNameRejected` unless `name` fits the `dataset.name` column."""
    if not name.strip():
        raise DatasetNameRejected("dataset name is empty")
    column_type = Dataset.__table__.c.name.type
    length = column_type.length if isinstance(column_type, String) else None
    try:
        check_text(name, name="dataset name", max_chars=length)
    except RecordRejected as exc:
        raise DatasetNameRejected(str(exc)) from None


def _open_outer_transaction(session: Session) -> None:
    """Make sure a real transaction is open before a savepoint.

    pysqlite opens transactions lazily, before INSERT but not before SAVEPOINT; a SAVEPOINT
    outside a transaction starts one that its RELEASE then commits, so every record would be
    its own commit (slow, and batches would no longer be atomic). PostgreSQL needs nothing.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    dbapi = connection.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _database_unwritable(exc: SQLAlchemyError) -> bool:
    """A database that cannot take any record now (locked, full, read-only, gone) ends the
    import, through the CLI's one-line error boundary; rejecting every later record instead
    would wait out one lock timeout each and report good records as bad. What is left is
    about this record (a constraint, a value the column cannot hold): its rejection."""
    return isinstance(exc, OperationalError | DisconnectionError) or bool(
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def _database_reason(item: str, exc: SQLAlchemyError) -> str:
    """One line: the driver's message without SQLAlchemy's SQL and parameter dump."""
    original = getattr(exc, "orig", None) or exc
    first_line = (str(original).strip().splitlines() or [""])[0]
    return f"{item}: the database refused the record ({type(original).__name__}: {first_line})"


@dataclass
class ImportSummary:
    dataset: str
    dataset_created: bool
    imported: int = 0
    skipped: int = 0  # already present from an earlier import
    rejected: list[RejectedRecord] = field(default_factory=list)
    converted: int = 0  # imported with a conversion note (mode, whitespace, size)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    def as_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "dataset_created": self.dataset_created,
            "imported": self.imported,
            "skipped": self.skipped,
            "rejected": self.rejected_count,
            "converted": self.converted,
            "rejections": [
                {"id": item.external_id, "reason": item.reason} for item in self.rejected
            ],
        }


def _store(session: Session, image: Image.Image, original: bytes | None, unchanged: bool) -> str:
    # An RGB PNG that needed no conversion is stored as the original bytes: re-encoding
    # is the slowest part of an import and would change nothing.
    if unchanged and original is not None and original.startswith(PNG_SIGNATURE):
        data = original
    else:
        data = png_bytes(image)
    return put_png(
        session=session,
        data=data,
        width=image.width,
        height=image.height,
        mode=image.mode,
    )


def _sample_fields(session: Session, sample: ValidatedSample) -> dict[str, object]:
    record = sample.record

    def unchanged(role: str) -> bool:
        return not any(note.startswith(f"{role}:") for note in sample.notes)

    source = _store(session, sample.source, record.source.data, unchanged("source"))
    mask = _store(session, sample.mask, None, False) if sample.mask is not None else None
    target = (
        _store(
            session,
            sample.target,
            record.target.data if record.target else None,
            unchanged("target"),
        )
        if sample.target is not None
        else None
    )
    return {
        "external_id": record.external_id,
        "session_id": record.session_id,
        "turn_index": record.turn_index,
        "instruction": sample.instruction,
        "source_image": source,
        "mask_image": mask,
        "target_image": target,
        "input_caption_global": record.input_caption_global,
        "output_caption_global": record.output_caption_global,
        "output_caption_local": record.output_caption_local,
        "import_notes": list(sample.notes),
    }


def import_records(
    *,
    engine: Engine,
    name: str,
    records: Iterable[SampleRecord | RejectedRecord],
    source_format: str,
    source_path: str | None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_instruction_chars: int = MAX_INSTRUCTION_CHARS,
    on_record: Callable[[], None] | None = None,
) -> ImportSummary:
    """Import `records` into the dataset `name` (created on first import).

    Every record is validated against the schema first (`SAMPLE_FIELD_LIMITS`), then
    written inside its own savepoint: should the database still refuse it, that record
    alone is rejected with the database's reason and the import goes on.
    """
    check_dataset_name(name)
    with session_scope(engine) as session:
        dataset, created = get_or_create_dataset(
            session=session, name=name, source_format=source_format, source_path=source_path
        )
        dataset_id = dataset.id
        present = existing_external_ids(session=session, dataset_id=dataset_id)
    summary = ImportSummary(dataset=name, dataset_created=created)

    pending = 0
    with session_scope(engine) as session:
        for record in records:
            if on_record is not None:
                on_record()
            if isinstance(record, RejectedRecord):
                summary.rejected.append(record)
                logger.warning("rejected %s: %s", record.external_id, record.reason)
                continue
            if record.external_id in present:
                summary.skipped += 1
                continue
            validated = validate_record(
                record,
                max_pixels=max_pixels,
                max_instruction_chars=max_instruction_chars,
                fields=SAMPLE_FIELD_LIMITS,
            )
            if isinstance(validated, RejectedRecord):
                summary.rejected.append(validated)
                logger.warning("rejected %s: %s", validated.external_id, validated.reason)
                continue
            _open_outer_transaction(session)
            try:
                with session.begin_nested():
                    add_sample(
                        session=session,
                        dataset_id=dataset_id,
                        **_sample_fields(session, validated),
                    )
                    session.flush()
            except SQLAlchemyError as exc:
                if _database_unwritable(exc):
                    raise
                refused = RejectedRecord(
                    record.external_id, _database_reason(repr(record.external_id), exc)
                )
                summary.rejected.append(refused)
                logger.warning("rejected %s: %s", refused.external_id, refused.reason)
                continue
            present.add(record.external_id)
            summary.imported += 1
            summary.converted += bool(validated.notes)
            pending += 1
            if pending >= COMMIT_EVERY:
                session.commit()
                pending = 0
    return summary


def import_dataset_path(
    *,
    engine: Engine,
    path: Path,
    name: str,
    format: str = "auto",
    zip_password: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_instruction_chars: int = MAX_INSTRUCTION_CHARS,
    limits: ReadLimits = DEFAULT_LIMITS,
    on_record: Callable[[], None] | None = None,
) -> ImportSummary:
    """Read the dataset at `path` (any supported layout) and import it as `name`."""
    from handsoff_core.data import detect_format, read_dataset

    resolved = detect_format(path) if format == "auto" else format
    return import_records(
        engine=engine,
        name=name,
        records=read_dataset(
            path,
            format=resolved,  # type: ignore[arg-type]
            zip_password=zip_password,
            limits=limits,
        ),
        source_format=resolved,
        source_path=str(path),
        max_pixels=max_pixels,
        max_instruction_chars=max_instruction_chars,
        on_record=on_record,
    )
