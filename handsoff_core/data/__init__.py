"""Dataset readers (MagicBrush folder/zip, hub parquet, JSONL) and the synthetic benchmark.

Readers stream `SampleRecord`s (raw bytes, nothing decoded) and `RejectedRecord`s (an item
that could not be read, with the reason); `validate_record` decodes and checks one record.
"""

from handsoff_core.data.bounds import DEFAULT_MAX_FILE_BYTES, ReadLimits
from handsoff_core.data.detect import (
    DatasetFormat,
    FormatChoice,
    count_records,
    detect_format,
    read_dataset,
)
from handsoff_core.data.field_rules import FieldLimits
from handsoff_core.data.records import (
    MAX_INSTRUCTION_CHARS,
    DatasetUnreadable,
    ImageBlob,
    RejectedRecord,
    SampleRecord,
    ValidatedSample,
    validate_record,
)

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "MAX_INSTRUCTION_CHARS",
    "DatasetFormat",
    "DatasetUnreadable",
    "FieldLimits",
    "FormatChoice",
    "ImageBlob",
    "ReadLimits",
    "RejectedRecord",
    "SampleRecord",
    "ValidatedSample",
    "count_records",
    "detect_format",
    "read_dataset",
    "validate_record",
]
