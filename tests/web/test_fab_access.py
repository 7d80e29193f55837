"""`citizen-desk fab-access ROLE...`: the FAB permission that opens the pages (`web.fab_access`).

The session's FAB set-up (`fab_auth_manager` in conftest) already ran it for FAB's default roles;
the role matrix (`test_roles.py`) shows what it opens and what it does not."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from citizen_desk.cli import main
from citizen_desk.errors import ConfigError
from tests.conftest import REPO
from tests.web.conftest import FAB_AUTH_MANAGER, FAB_ROLES, configured_auth_manager


@pytest.fixture
def fab(fab_auth_manager):
    with configured_auth_manager(FAB_AUTH_MANAGER, fab_auth_manager):
        yield fab_auth_manager


def _roles_with_the_page() -> set[str]:
    from airflow.providers.fab.auth_manager.models import Role
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        roles = session.scalars(select(Role)).unique()
        return {
            role.name
            for role in roles
            for p in role.permissions
            if (p.action.name, p.resource.name) == ("can_read", "Citizen Desk")
        }


def test_granting_again_changes_nothing_and_an_unknown_role_writes_nothing(fab, capsys):
    """Each run also re-syncs FAB's roles, as every api-server start does: the grant stays."""
    assert _roles_with_the_page() == set(FAB_ROLES)
    assert main(["fab-access", "Viewer", "Admin"]) == 0
    out = capsys.readouterr().out.splitlines()  # FAB logs to stdout too
    assert [line for line in out if line.endswith(")") and ": can read on" in line] == [
        "Viewer: can read on Citizen Desk (already had it)",
        "Admin: can read on Citizen Desk (already had it)",
    ]
    assert main(["fab-access", "Viewer", "Trực ban"]) == 2
    assert "FAB roles: Trực ban: no such role" in capsys.readouterr().err
    assert _roles_with_the_page() == set(FAB_ROLES)


def test_only_for_the_fab_auth_manager(auth_manager):
    from citizen_desk.web.fab_access import grant_page_access

    with pytest.raises(ConfigError, match=r"core.auth_manager: is .*SimpleAuthManager"):
        grant_page_access(["Viewer"])


def _imports_fab(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        if any(name.startswith("airflow.providers.fab") for name in names):
            return True
    return False


def test_only_the_command_imports_fab():
    """The pages work on an image without FAB (requirements.lock does not install it; the
    official image ships it): only `fab-access` needs it, when run."""
    folders = ("include", "dags", "plugins")
    shipped = [path for folder in folders for path in (REPO / folder).rglob("*.py")]
    importing = {str(path.relative_to(REPO)) for path in shipped if _imports_fab(path)}
    assert importing == {"include/citizen_desk/web/fab_access.py"}
