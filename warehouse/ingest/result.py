"""What an ingest reports back: the row accounting, the validation result and next steps."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass
class ExpectationOutcome:
    """One Great Expectations expectation as it went for one upload."""

    expectation: str  # GX type, e.g. expect_column_values_to_not_be_null
    column: str | None
    description: str  # in words, for people
    success: bool
    unexpected_count: int
    examples: list[Any] = field(default_factory=list)  # a few failing values

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IngestResult:
    status: str  # loaded | duplicate | rejected | waiting (kept in the outbox for a region whose host is down)
    upload_id: str | None
    region: str | None
    profile: str | None
    message: str
    rows_total: int = 0
    rows_loaded: int = 0
    rows_flagged: int = 0
    rows_skipped: int = 0
    rows_known: int = 0  # already loaded from an overlapping export
    sha256: str | None = None
    validation: list[ExpectationOutcome] = field(default_factory=list)
    flagged_examples: list[dict[str, Any]] = field(default_factory=list)  # row_number, reasons, raw
    skipped_reasons: dict[str, int] = field(default_factory=dict)  # reason -> count
    assumptions: list[str] = field(default_factory=list)  # what the reader assumed, in words
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    missing: list[str] = field(default_factory=list)  # canonical columns not found (mapping needed)
    headers: list[str] = field(default_factory=list)  # the file's headers, for a mapping step
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> the header it was read from
    unsure: list[str] = field(default_factory=list)  # meanings read by shape or among several candidates
    confirm: bool = False  # rejected only until the creator confirms the reading (the app's step)
    preview: list[list[str]] = field(default_factory=list)  # the first rows, for that step
    proposed: dict[str, str] = field(default_factory=dict)  # one value for every row Kasuwa would use (currency)
    next_steps: list[str] = field(default_factory=list)
    first_sale: date | None = None  # the file's first and last sale day (the region's time zone), loaded rows
    last_sale: date | None = None

    def plain(self) -> dict[str, Any]:
        """This result in standard types only (``warehouse.plain`` carries it to the process that
        asked for the job)."""
        return asdict(self)

    @staticmethod
    def from_plain(d: dict[str, Any]) -> IngestResult:
        """The result ``plain()`` described."""
        values = dict(d)
        values["validation"] = [ExpectationOutcome(**v) for v in values.get("validation") or []]
        return IngestResult(**values)

    def summary(self) -> dict[str, Any]:
        """The JSON contract of ``kasuwa ingest --json`` (DESIGN.md), plus a little more."""
        return {
            "upload_id": self.upload_id,
            "region": self.region,
            "profile": self.profile,
            "status": self.status,
            "rows_total": self.rows_total,
            "rows_loaded": self.rows_loaded,
            "rows_flagged": self.rows_flagged,
            "rows_skipped": self.rows_skipped,
            "rows_known": self.rows_known,
            "message": self.message,
            "sha256": self.sha256,
            "assumptions": self.assumptions,
            "missing": self.missing,
            "columns": self.columns,
        }
