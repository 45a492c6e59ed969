"""The landing area keeps a file byte for byte under the sha256 of what it kept: a regular file
is copied by the kernel and hashed as written, a stream in chunks; both name the same bytes the
same way, stop one byte past the limit and leave nothing behind when they refuse."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from warehouse.ingest import landing

BYTES = b"order_id,date,product,quantity,amount,currency\n" + b"".join(
    f"A{i},2025-01-02,Book {i},1,{i}.50,NGN\n".encode() for i in range(20000))


def _leftovers(region: str) -> list[str]:
    d = landing.settings().landing_dir / region
    return sorted(p.name for p in d.iterdir() if p.name.startswith(".incoming-")) if d.exists() else []


def test_a_regular_file_is_kept_under_the_digest_of_its_bytes(tmp_path):
    src = tmp_path / "export.csv"
    src.write_bytes(BYTES)
    kept = landing.land("west-africa", src)
    assert kept.sha256 == hashlib.sha256(BYTES).hexdigest() == kept.path.name
    assert kept.path.read_bytes() == BYTES and kept.size == len(BYTES)
    # the same bytes from a stream or from memory land as the same file
    assert landing.land("west-africa", io.BytesIO(BYTES)) == kept
    assert landing.land("west-africa", BYTES) == kept
    assert _leftovers("west-africa") == []


def test_a_regular_file_over_the_limit_is_refused_and_nothing_stays(tmp_path):
    src = tmp_path / "big.csv"
    src.write_bytes(BYTES)
    with pytest.raises(landing.TooLarge) as refused:
        landing.land("west-africa", src, limit=len(BYTES) - 1)
    assert refused.value.read == len(BYTES)  # read one byte past the limit, no further
    assert _leftovers("west-africa") == []
    assert not landing.is_landed("west-africa", hashlib.sha256(BYTES).hexdigest())
    assert landing.land("west-africa", src, limit=len(BYTES)).size == len(BYTES)  # exactly at the limit: kept


def test_where_the_kernel_cannot_copy_the_file_is_copied_in_chunks(tmp_path, monkeypatch):
    src = tmp_path / "export.csv"
    src.write_bytes(BYTES)
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse)
    kept = landing.land("east-africa", src)
    assert calls, "the kernel copy was not tried"
    assert kept.sha256 == hashlib.sha256(BYTES).hexdigest() and kept.path.read_bytes() == BYTES
