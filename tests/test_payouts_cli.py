"""``kasuwa payouts run`` and ``kasuwa payouts mark`` through ``warehouse.cli.main``."""

from __future__ import annotations

import json
from datetime import date

import pytest
from payouts_support import creator, sale

from warehouse.cli import main
from warehouse.db import warehouse


@pytest.fixture
def region():
    r = creator("ada", "NG", "paystack")
    sale(r, "ada", "s1", date(2026, 3, 11), "5000.00", "NGN", fees="175.00")
    return r


def test_run_pays_once_and_reports_each_creator(region, capsys):
    assert main(["payouts", "run", "--region", region, "--as-of", "2026-03-13"]) == 0
    out = capsys.readouterr().out
    assert "ada: scheduled" in out and "1 payout(s) scheduled (4,825.00 NGN)" in out
    assert main(["payouts", "run", "--region", region, "--as-of", "2026-03-13", "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["decision"] == "already_paid" and lines[-1]["payouts"] == 0
    assert warehouse(region).one("SELECT count(*) FROM payouts") == (1,)


def test_mark_paid_needs_a_reference_and_wrong_moves_exit_1(region, capsys):
    main(["payouts", "run", "--region", region, "--as-of", "2026-03-13"])
    capsys.readouterr()
    pid = "PO-20260313-ada"
    assert main(["payouts", "mark", pid, "paid"]) == 1
    assert "reference" in capsys.readouterr().err
    assert main(["payouts", "mark", pid, "paid", "--reference", "PSK-123"]) == 0
    assert "PO-20260313-ada: paid (reference PSK-123)" in capsys.readouterr().out
    assert main(["payouts", "mark", pid, "failed"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kasuwa: ") and "cannot become failed" in err and "Traceback" not in err
    assert main(["payouts", "mark", "PO-20260313-nobody", "paid", "--reference", "X"]) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["payouts", "run", "--region", "west-africa", "--as-of", "13/03/2026"],
        ["payouts", "run", "--as-of", "2026-03-13"],
        ["payouts", "mark", "PO-20260313-ada", "lost"],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def test_unknown_region_exits_1(capsys):
    assert main(["payouts", "run", "--region", "atlantis", "--as-of", "2026-03-13"]) == 1
    assert "Unknown region" in capsys.readouterr().err
