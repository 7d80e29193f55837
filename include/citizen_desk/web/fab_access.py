"""FAB auth manager: let FAB roles open the Citizen Desk pages (`citizen-desk fab-access ROLE...`).

The pages ask the auth manager `is_authorized_custom_view("GET", "Citizen Desk")`. Under FAB that
is the permission "can read on Citizen Desk", which exists for nobody, Admin included: FAB's
`airflow roles add-perms`, its `[fab] custom_roles` and its roles API only attach resources that
already exist, and a FastAPI plugin registers none. This creates it (FAB's own security manager,
as `airflow roles add-perms` does) and gives it to the named roles; run it again for a new role.
The FAB UI's role editor lists the permission from then on. It only opens the pages for reading:
what a user may change is the registry's `access:` (`web/permissions.py`), whatever the FAB role.

Runs where the FAB provider is installed (the official Airflow image ships it); nothing else of
the app imports FAB.
"""

from __future__ import annotations

from collections.abc import Sequence

from citizen_desk.errors import ConfigError
from citizen_desk.web.auth import RESOURCE_NAME

READ_ACTION = "can_read"  # FAB's action for GET (`is_authorized_custom_view` maps the method)
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"


def _require_fab() -> None:
    from airflow.api_fastapi.app import get_auth_manager_cls

    configured = get_auth_manager_cls()
    try:
        from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager
    except ImportError:
        raise ConfigError(
            "airflow", "providers", "apache-airflow-providers-fab is not installed"
        ) from None
    if not issubclass(configured, FabAuthManager):
        raise ConfigError(
            "airflow",
            "core.auth_manager",
            f"is {configured.__module__}.{configured.__qualname__}, not {FAB_AUTH_MANAGER}: "
            "only FAB needs this permission (SimpleAuthManager lets every logged-in user read)",
        )


def grant_page_access(role_names: Sequence[str]) -> list[str]:
    """Give each FAB role "can read on Citizen Desk" (idempotent); returns the roles that lacked
    it. Refuses (ConfigError, nothing written) an unknown role or another auth manager."""
    _require_fab()
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    with get_application_builder() as appbuilder:
        security = appbuilder.sm
        roles = {name: security.find_role(name) for name in role_names}
        unknown = sorted(name for name, role in roles.items() if role is None)
        if unknown:
            raise ConfigError("FAB roles", ", ".join(unknown), "no such role")
        permission = security.create_permission(READ_ACTION, RESOURCE_NAME)
        added = []
        for name, role in roles.items():
            if permission not in role.permissions:
                security.add_permission_to_role(role, permission)
                added.append(name)
    return added
