"""Caching of warehouse query results for the pages (the only place Streamlit caches them).

``query(fn, actor, regions, *args)`` runs ``fn(actor, *args)`` — a read function of
``warehouse.queries`` — through ``st.cache_data``. The cache key holds the function, the actor
(so one user's results never serve another, and the warehouse's own permission check ran for
exactly this actor on the miss that filled the entry), the arguments, and the *data version*
of the regions involved: a load, a review decision, a new creator or a rates load changes the
version (``warehouse.queries.data_version``, asked once per region per script run), so the next
run reads fresh figures. Errors are
never cached. Connections are kept open by ``warehouse.db`` itself (one per database per
process), which is what ``st.cache_resource`` would otherwise hold.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from warehouse.access import Actor
from warehouse.errors import RegionUnavailable, WarehouseBusy
from warehouse.queries import data_version
from warehouse.settings import settings

#: only read functions of these modules may run through the cache
_ALLOWED_MODULES = ("warehouse.queries.", "warehouse.fx")

# Bumped by ``data_changed()`` after a write made by this process; part of every key, so a
# page that knows it changed data need not wait for the data version to tell.
_STATE = {"generation": 0}
_GEN_LOCK = threading.Lock()


def data_changed() -> None:
    """Call after a load or review decision: every cached result is read afresh next time."""
    with _GEN_LOCK:
        _STATE["generation"] += 1


def _run_memo() -> dict[tuple[Actor, str, int], str] | None:
    """A dict that lives as long as the current script run (None outside one): a page asks
    for the data version once per region per run, not before each of its queries (half of a
    creator's sales page's round trips to the owner were these checks). The run is told by
    the object Streamlit makes afresh for each run (held here, so compared by identity)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    marker = getattr(ctx, "parallel_coordinator", None) if ctx is not None else None
    if marker is None:
        return None
    held = getattr(ctx, "_kasuwa_versions", None)
    if held is None or held[0] is not marker:
        held = (marker, {})
        ctx._kasuwa_versions = held  # type: ignore[union-attr]
    return held[1]


def versions(actor: Actor, regions: Iterable[str]) -> tuple[str, ...]:
    """The data version of each region, asked once per script run (a write this process makes
    bumps ``data_changed``'s generation, so it is asked again after one); an unreachable region
    contributes its own marker (its figures are then recomputed on every run until it answers
    again)."""
    memo = _run_memo()
    out = []
    for code in regions:
        key = (actor, code, _STATE["generation"])
        if memo is not None and key in memo:
            out.append(memo[key])
            continue
        try:
            version = data_version(actor, code)
        except (RegionUnavailable, WarehouseBusy):
            version = f"{code}:unavailable"
        if memo is not None:
            memo[key] = version
        out.append(version)
    return tuple(out)


@st.cache_data(show_spinner=False, max_entries=2000, ttl=6 * 3600)
def _cached(name: str, actor: Actor, version: tuple[str, ...], generation: int, args: tuple[Any, ...],
            kwargs: tuple[tuple[str, Any], ...]) -> Any:
    module, _, attr = name.rpartition(".")
    fn = getattr(importlib.import_module(module), attr)
    return fn(actor, *args, **dict(kwargs))


def _name(fn: Callable[..., Any]) -> str:
    name = f"{fn.__module__}.{fn.__qualname__}"
    if not name.startswith(_ALLOWED_MODULES) or "<" in name:
        raise ValueError(f"{name} is not a cacheable warehouse read")
    return name


def query(fn: Callable[..., Any], actor: Actor, regions: Iterable[str], *args: Any, **kwargs: Any) -> Any:
    """``fn(actor, *args, **kwargs)``, cached until the data of ``regions`` changes."""
    key = versions(actor, regions)
    return _cached(_name(fn), actor, key, _STATE["generation"], args, tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, max_entries=5000, ttl=3600)
def _creator_region(creator_id: str, data_dir: str) -> str:
    from control.directory import creator_region

    return creator_region(creator_id)


def creator_region(creator_id: str) -> str:
    """The region of a creator (creators never move between regions, so this is cached)."""
    return _creator_region(creator_id, str(settings().data_dir))


def clear() -> None:
    """Forget every cached result (tests; an admin's 'reload')."""
    _cached.clear()
    _creator_region.clear()
