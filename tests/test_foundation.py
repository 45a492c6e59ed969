"""The foundation's promises: settings documented, layering kept, regions validated,
migrations re-runnable, one region's failure contained."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse import schema
from warehouse.access import Actor
from warehouse.creators import add_creator, creator_region
from warehouse.db import close_all, init_all, warehouse
from warehouse.errors import ConfigError, NotFound, WarehouseBusy
from warehouse.regions import all_regions, region_for_country
from warehouse.settings import PROJECT_ROOT, SETTINGS

ROOT = PROJECT_ROOT


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, (_default, help_text) in SETTINGS.items():
        assert f"| `{name}` | {help_text} |" in readme, f"README's settings table lacks {name}"


def test_warehouse_never_imports_streamlit():
    code = ("import sys, pkgutil, importlib, warehouse\n"
            "for m in pkgutil.walk_packages(warehouse.__path__, 'warehouse.'):\n"
            "    importlib.import_module(m.name)\n"
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_pages_and_app_hold_no_sql_and_never_import_duckdb():
    sql = re.compile(r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.I)
    files = list((ROOT / "pages").glob("*.py")) + list((ROOT / "app").glob("*.py"))
    assert files
    for f in files:
        assert "duckdb" not in _imports(f), f"{f} imports duckdb"
        assert not sql.search(f.read_text(encoding="utf-8")), f"{f} contains SQL"


def test_user_text_is_never_rendered_as_html():
    for f in list((ROOT / "pages").glob("*.py")) + list((ROOT / "app").glob("*.py")):
        assert "unsafe_allow_html=True" not in f.read_text(encoding="utf-8"), f


def test_regions_cover_the_programme_countries():
    codes = [r.code for r in all_regions()]
    assert codes == ["west-africa", "east-africa", "south-asia"]
    assert region_for_country("ng").code == "west-africa"
    assert region_for_country("KE").code == "east-africa"
    assert region_for_country("BD").code == "south-asia"
    with pytest.raises(NotFound, match="No region serves country 'ZZ'"):
        region_for_country("ZZ")


def test_unknown_key_in_regions_toml_is_an_error_naming_the_file(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "regions.toml").write_text(
        '[[region]]\ncode = "x-region"\nname = "X"\ncountries = ["NG"]\ncurrencies = ["NGN"]\n'
        'time_zone = "UTC"\ncolour = "red"\n', encoding="utf-8")
    monkeypatch.setenv("KASUWA_CONFIG_DIR", str(cfg))
    with pytest.raises(ConfigError, match=r"regions.toml: region #1: unknown key\(s\) \['colour'\]"):
        all_regions()


def test_migrations_are_recorded_and_rerunnable(data_dir):
    init_all()
    versions = [v for (v,) in warehouse("west-africa").rows("SELECT version FROM schema_version ORDER BY 1")]
    assert versions == [v for v, _n, _p in schema.migrations("region")]
    close_all()
    con = duckdb.connect(str(data_dir / "warehouses" / "west-africa.duckdb"))
    assert schema.migrate(con, "region") == []
    con.close()


def test_region_migrations_use_no_function_defaults():
    """A region served over Quack cannot be attached when a column defaults to a function."""
    for _v, _n, path in schema.migrations("region"):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        assert not re.search(r"DEFAULT\s+(current_timestamp|now\(\)|nextval|gen_random_uuid|uuid\(\))",
                             text, re.I), f"{path.name} has a function default"


def test_creator_region_follows_country():
    c = add_creator(Actor.operator(), "sn-test", "sn", "Test")
    assert (c.region, c.country) == ("west-africa", "SN")
    assert creator_region("sn-test") == "west-africa"
    assert warehouse("west-africa").one("SELECT name FROM creators WHERE creator_id = ?", ["sn-test"]) == ("Test",)


def test_one_broken_region_does_not_take_the_others_down(data_dir):
    wdir = data_dir / "warehouses"
    wdir.mkdir(parents=True)
    (wdir / "east-africa.duckdb").write_bytes(b"this is not a database" * 100)
    status = init_all()
    assert status["west-africa"] == "ok" and status["south-asia"] == "ok"
    assert "cannot be opened" in status["east-africa"]
    add_creator(Actor.operator(), "ng-still-works", "NG")
    assert warehouse("west-africa").one("SELECT count(*) FROM creators") == (1,)


def test_a_warehouse_held_by_another_process_gives_a_clear_message(data_dir):
    init_all()
    close_all()
    path = data_dir / "warehouses" / "west-africa.duckdb"
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True);"
                               " time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout and holder.stdout.readline().strip() == "ok"
        with pytest.raises(WarehouseBusy, match="open in another Kasuwa process"):
            warehouse("west-africa").connection()
    finally:
        holder.kill()
        holder.communicate()


def test_cli_usage_errors_exit_2_without_a_trace():
    out = subprocess.run(["kasuwa", "ingest"], check=False, capture_output=True, text=True)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "required" in out.stderr
