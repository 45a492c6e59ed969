"""The layering and the one home of authorisation, checked by machine (imports parsed with ast):
``pages/`` and ``app/`` never import ``warehouse.db``, ``control.db``, ``duckdb``, ``sqlite3`` or
``psycopg``; ``warehouse/`` and ``control/`` never import ``streamlit``; ``control/`` imports
no warehouse module that imports ``control`` (no cycles); role names are compared in
``warehouse/access.py`` only; the cache's data version tells nobody another region's counts or
where its file is."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.errors import PermissionDenied
from warehouse.queries import data_version

ROOT = Path(__file__).resolve().parent.parent
ROLE_NAMES = {"creator", "reviewer", "manager", "admin"}
#: files that may still name roles, and why (anything else is a permission rule out of place)
ROLE_NAMES_ALLOWED = {
    "warehouse/access.py": "the one place permission questions are answered",
    "control/accounts.py": "the shape of an account (a creator account links a creator) and the demo users",
    "app/login.py": "the role's name shown to people",
    "app/upload_view.py": "which creator the upload form preselects (not a permission)",
    "pages/admin.py": "shows whether a manager reads all regions",
}


def imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports, relative imports resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(p for p in [*parts, base] if p)
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def hits(module: str, banned: str) -> bool:
    return module == banned or module.startswith(banned + ".")


@pytest.mark.parametrize("folder", ["app", "pages"])
def test_pages_and_app_never_touch_the_database_directly(folder):
    doors = ("duckdb", "warehouse.db", "control.db", "sqlite3", "psycopg")
    bad = {
        str(p.relative_to(ROOT)): sorted(m for m in imports(p) if any(hits(m, d) for d in doors))
        for p in sources(folder)
    }
    assert {k: v for k, v in bad.items() if v} == {}
    assert sources(folder), f"no sources found in {folder}/"


@pytest.mark.parametrize("folder", ["warehouse", "control"])
def test_the_engine_and_the_control_plane_never_import_streamlit(folder):
    bad = {
        str(p.relative_to(ROOT)): sorted(m for m in imports(p) if hits(m, "streamlit")) for p in sources(folder)
    }
    assert {k: v for k, v in bad.items() if v} == {}
    assert sources(folder)


def _module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def test_the_control_plane_imports_no_warehouse_module_that_imports_it():
    """``warehouse/`` uses ``control/``; ``control/`` may use only the warehouse modules that
    stand below both (settings, errors, access, regions): an import cycle would be an error."""
    out = {}
    for path in sources("control"):
        for module in sorted(m for m in imports(path) if hits(m, "warehouse")):
            seen, todo = set(), [module]
            while todo:  # the warehouse modules ``module`` reaches
                current = todo.pop()
                found = _module_file(current)
                if found is None or found in seen:
                    continue
                seen.add(found)
                reached = imports(found)
                if any(hits(m, "control") for m in reached):
                    out.setdefault(path.relative_to(ROOT).as_posix(), []).append(module)
                    break
                todo += [m for m in reached if hits(m, "warehouse")]
    assert out == {}


def test_the_checker_sees_relative_and_aliased_imports(tmp_path):
    (tmp_path / "warehouse").mkdir()
    probe = tmp_path / "warehouse" / "probe.py"
    probe.write_text("import duckdb as d\nfrom warehouse import db\nfrom . import db as x\nimport streamlit.x\n",
                     encoding="utf-8")
    found = imports(probe, tmp_path)
    assert {"duckdb", "warehouse.db", "streamlit.x"} <= found


def _role_comparisons(path: Path) -> list[int]:
    """Lines where a role name is compared with something (==, !=, in, a set of role names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            consts = [c for c in ast.walk(node) if isinstance(c, ast.Constant) and c.value in ROLE_NAMES]
            if consts:
                lines.append(node.lineno)
    return lines


def test_permission_rules_live_in_access_only():
    out = {}
    for folder in ("warehouse", "control", "app", "pages"):
        for path in sources(folder):
            rel = path.relative_to(ROOT).as_posix()
            if rel in ROLE_NAMES_ALLOWED:
                continue
            if lines := _role_comparisons(path):
                out[rel] = lines
    assert out == {}, "compare roles in warehouse/access.py (one function per question), not here"


def test_the_page_registry_takes_its_roles_from_access():
    from app.registry import PAGES
    from warehouse import access

    capabilities = {access.OWN_DATA_ROLES, access.REVIEW_ROLES, access.UPLOAD_ROLES, access.METRICS_ROLES,
                    access.ADMIN_ROLES}
    assert all(any(p.roles is c for c in capabilities) for p in PAGES)
    assert not _role_comparisons(ROOT / "app" / "registry.py")
    tree = ast.parse((ROOT / "app" / "registry.py").read_text(encoding="utf-8"))
    assert not [c for c in ast.walk(tree) if isinstance(c, ast.Constant) and c.value in ROLE_NAMES]


def test_the_data_version_tells_a_creator_nothing_about_other_regions(data_dir):
    op = Actor.operator()
    add_creator(op, "ng-ada", "NG", "Ada")
    add_creator(op, "ke-wanjiru", "KE", "Wanjiru")
    ada = Actor("ada@example.org", "creator", creator_id="ng-ada")
    own = data_version(ada, "west-africa")
    assert str(data_dir) not in own and "duckdb" not in own and "|" not in own and "/" not in own
    for other in ("east-africa", "south-asia"):
        with pytest.raises(PermissionDenied):
            data_version(ada, other)
    manager = Actor("m@example.org", "manager", regions=frozenset({"west-africa"}))
    assert data_version(manager, "west-africa") == own
    with pytest.raises(PermissionDenied):
        data_version(manager, "east-africa")
    reviewer = Actor("r@example.org", "reviewer", regions=frozenset({"east-africa"}))
    data_version(reviewer, "east-africa")
    with pytest.raises(PermissionDenied):
        data_version(reviewer, "west-africa")
    add_creator(op, "gh-kofi", "GH", "Kofi")
    assert data_version(ada, "west-africa") != own  # still moves with the data
