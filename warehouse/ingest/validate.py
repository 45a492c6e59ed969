"""Validation with Great Expectations: the region's suite (base + region + profile) run on
every upload, every failing row identified — GX's ``COMPLETE`` result format, indexed by the
row's position in the file — not a sample.

Suites are GX 1.x JSON in ``expectations/``; each expectation's ``meta.reason`` is the reason
in words shown to creators and reviewers. GX is imported lazily (it takes seconds), and
``warm_up()`` lets an ingest import it in the background while DuckDB reads the file.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..i18n import N_
from ..settings import PROJECT_ROOT
from . import sale

SUITES_DIR = PROJECT_ROOT / "expectations"
_GX_LOCK = threading.Lock()

FRAME_COLUMNS = sale.FRAME_COLUMNS  # declared once, in sale.py
#: integer columns: handed to GX as int64 (float64 when they hold NULLs), the dtypes its range
#: check vectorises; int32 or nullable Int64 fall back to a Python call per row (3x slower overall)
INT_COLUMNS = frozenset({"order_key_count", "sold_at_age_days", "sold_at_year", "gross_minor", "net_minor",
                         "quantity"})


@dataclass
class Outcome:
    """One expectation's result summed over the chunks of an upload."""

    type: str
    column: str | None
    reason: str
    success: bool = True
    unexpected_count: int = 0
    examples: list[Any] = field(default_factory=list)


def suite_documents(region: str, profile_suite: str | None) -> list[dict[str, Any]]:
    """The GX JSON documents that apply: base, the region's, and the profile's own."""
    names = ["base", f"region-{region}"] + ([profile_suite] if profile_suite else [])
    docs = []
    for name in names:
        path = SUITES_DIR / f"{name}.json"
        if not path.exists():
            if name == "base":
                raise ConfigError(f"{path}: the base expectation suite is missing")
            continue
        try:
            docs.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc})") from exc
    return docs


def warm_up() -> threading.Thread:
    """Start importing Great Expectations in the background; returns the thread."""
    t = threading.Thread(target=_context, name="gx-import", daemon=True)
    t.start()
    return t


@lru_cache(maxsize=1)
def _context() -> Any:
    import logging

    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # GX fingerprints every in-memory frame it is given (a pandas hash, twice per chunk, used only
    # as a batch marker): 0.8 s per million order ids, more than the checks themselves. Frames
    # over this many bytes are not fingerprinted, so setting it to 0 skips that alone.
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


@lru_cache(maxsize=32)
def _suite_and_batch(key: str) -> tuple[Any, Any]:
    import great_expectations as gx

    docs = json.loads(key)
    expectations = [e for d in docs for e in d["expectations"]]
    suite = gx.ExpectationSuite(name="kasuwa-" + "-".join(d["name"] for d in docs), expectations=expectations)
    with _GX_LOCK:
        ctx = _context()
        name = f"frames-{len(ctx.data_sources.all())}"
        source = ctx.data_sources.add_pandas(name)
        batch_def = source.add_dataframe_asset("rows").add_batch_definition_whole_dataframe("all")
    return suite, batch_def


class Validator:
    """Runs the suite chunk by chunk and collects, per row, the reasons it failed."""

    def __init__(self, region: str, profile_suite: str | None) -> None:
        self.docs = suite_documents(region, profile_suite)
        self.suite, self.batch_def = _suite_and_batch(json.dumps(self.docs, sort_keys=True))
        self.outcomes = [
            Outcome(e["type"], e["kwargs"].get("column"), e.get("meta", {}).get("reason", e["type"]))
            for d in self.docs for e in d["expectations"]
        ]
        self._by_key = {(o.type, o.column, o.reason): o for o in self.outcomes}
        self.suite_names = [d["name"] for d in self.docs]

    def validate(self, frame: Any) -> dict[int, list[tuple[str, str]]]:
        """Validate a pandas frame indexed by row number; returns row -> [(rule, reason)]."""
        failures: dict[int, list[tuple[str, str]]] = {}
        if len(frame) == 0:
            return failures
        for c in INT_COLUMNS & set(frame.columns):
            if frame[c].dtype != "int64":  # int32, or a nullable Int64/Int32 holding NULLs
                frame[c] = frame[c].astype("int64" if not frame[c].hasnans else "float64")
        batch = self.batch_def.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(self.suite, result_format={"result_format": "COMPLETE"})
        for res in result.results:
            cfg = res.expectation_config
            key = (cfg.type, cfg.kwargs.get("column"), (cfg.meta or {}).get("reason", cfg.type))
            outcome = self._by_key[key]
            if res.exception_info and res.exception_info.get("raised_exception"):
                msg = res.exception_info.get("exception_message") or "unknown error"
                raise ConfigError(f"Expectation {outcome.type} on {outcome.column} could not run: {msg}")
            if res.success:
                continue
            outcome.success = False
            rows = res.result.get("unexpected_index_list") or []
            outcome.unexpected_count += len(rows)
            if len(outcome.examples) < 5:
                vals = res.result.get("partial_unexpected_list") or []
                outcome.examples.extend(_plain(v) for v in vals[: 5 - len(outcome.examples)])
            rule = f"{outcome.type}:{outcome.column}"
            for r in rows:
                # GX gives {"<column>": value, "_row": n} when the index is named, n otherwise
                n = int(r["_row"]) if isinstance(r, dict) else int(r)
                failures.setdefault(n, []).append((rule, outcome.reason))
        return failures

    def report(self) -> list[dict[str, Any]]:
        return [o.__dict__ for o in self.outcomes]


def _plain(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None  # NaN: a missing value
    if isinstance(v, float) and v.is_integer():
        return int(v)  # an integer column carried as float64 because it held NULLs
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


#: the rule of a row flagged because its profile cannot tell whether it is a sale (pipeline.ASK_RULE)
ASK_RULE = "kind_unknown"
ASK_LABEL = "not known to be a sale"


@lru_cache(maxsize=1)
def _rule_reasons() -> dict[str, str]:
    out = {ASK_RULE: ASK_LABEL}
    for path in sorted(SUITES_DIR.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        for e in doc.get("expectations", []):
            rule = f"{e['type']}:{e['kwargs'].get('column')}"
            out.setdefault(rule, e.get("meta", {}).get("reason", N_("a check failed")))
    return out


def rule_label(rule: str) -> str:
    """What a failed rule means, in the words of its suite's ``meta.reason`` (never its GX name)."""
    return _rule_reasons().get(rule, N_("another check"))


def suite_path(name: str) -> Path:
    return SUITES_DIR / f"{name}.json"
