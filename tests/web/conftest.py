"""Fixtures for the web tests: a seeded domain DB, the app, and logins issued by Airflow itself."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import sessionmaker

from tests.conftest import NOW, REGISTRY_PATH, Templates
from tests.web.cdp import find_chromium
from tests.web.seed import Seeded, seed

# the form field the app checks (`web.auth.CSRF_FIELD`; a POST with another name is refused):
# named here so that collecting the web tests imports no Airflow
CSRF_FIELD = "csrf_token"
CSRF_INPUT = re.compile(rf'name="{CSRF_FIELD}" value="([0-9a-f]{{64}})"')


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium for the browser tests (Debian's `chromium`); they skip without it."""
    binary = find_chromium()
    if binary is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    pytest.importorskip("websockets.sync.client")
    return binary


@pytest.fixture(scope="session")
def auth_manager(airflow_db):
    """Airflow's configured auth manager (SimpleAuthManager), initialised as the api-server does."""
    from airflow.api_fastapi.app import init_auth_manager

    return init_auth_manager()


@pytest.fixture(scope="session")
def make_token(auth_manager) -> Callable[..., str]:
    """A JWT issued by the real auth manager for a SimpleAuthManager user."""
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    def make(username: str, role: str | None = "user", **kwargs) -> str:
        user = SimpleAuthManagerUser(username=username, role=role)
        return auth_manager.generate_jwt(user, **kwargs)

    return make


def _app(engine: Engine, seeded: Seeded):
    from citizen_desk.web.app import create_app
    from citizen_desk.web.deps import request_now

    reports_dir = seeded.reports_dir
    assert reports_dir is not None
    web_app = create_app(engine_factory=lambda: engine, reports_dir=lambda: reports_dir)
    web_app.dependency_overrides[request_now] = lambda: NOW
    return web_app


def _client(app, token: str | None = None) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    if token:
        client.cookies.set("_token", token)
    return client


# --- writable: a fresh seeded DB per test (SQLite, and PostgreSQL when configured) ----------------


@pytest.fixture
def seeded(synced_engine: Engine, tmp_path: Path) -> Seeded:
    reports_dir = tmp_path / "data" / "reports"
    reports_dir.mkdir(parents=True)
    with sessionmaker(synced_engine)() as session:
        return seed(session, NOW, reports_dir)


@pytest.fixture
def app(synced_engine: Engine, seeded: Seeded, auth_manager):
    return _app(synced_engine, seeded)


@pytest.fixture
def anon(app) -> Iterator[TestClient]:
    with _client(app) as client:
        yield client


@pytest.fixture
def officer(app, make_token) -> Iterator[TestClient]:
    with _client(app, make_token("officer", "user")) as client:
        yield client


@pytest.fixture
def admin(app, make_token) -> Iterator[TestClient]:
    with _client(app, make_token("admin", "admin")) as client:
        yield client


# --- read-only: one seeded SQLite DB per module, for tests that do not write ----------------------


@pytest.fixture(scope="module")
def ro_seeded(tmp_path_factory, db_templates: Templates) -> Iterator[tuple[Engine, Seeded]]:
    root = tmp_path_factory.mktemp("web-ro")
    engine = create_engine(db_templates.sqlite_copy("synced", root / "domain.db"))
    (root / "data" / "reports").mkdir(parents=True)
    with sessionmaker(engine)() as session:
        seeded = seed(session, NOW, root / "data" / "reports")
    yield engine, seeded
    engine.dispose()


@pytest.fixture(scope="module")
def ro_app(ro_seeded, auth_manager):
    return _app(*ro_seeded)


@pytest.fixture
def ro_anon(ro_app) -> Iterator[TestClient]:
    with _client(ro_app) as client:
        yield client


@pytest.fixture
def ro_officer(ro_app, make_token) -> Iterator[TestClient]:
    with _client(ro_app, make_token("officer", "user")) as client:
        yield client


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


SAME_ORIGIN = {"Origin": "http://testserver", "Accept": "text/html"}


# --- roles: the sample registry with one user per role (and scope) ------------------------------

ROLE_USERS: dict[str, list[dict]] = {
    "viewer.th": [{"role": "viewer"}],
    "tech.th": [{"role": "technical_admin"}],
    "officer.ngathuy": [{"role": "officer", "units": ["TH-NS-NGATHUY"]}],
    "officer.ngatan": [{"role": "officer", "units": ["TH-NS-NGATAN"]}],
    "officer.ns": [{"role": "officer", "units": ["TH-NS"]}],
    "chief.ns": [{"role": "chief", "units": ["TH-NS"]}],
    "chief.ss": [{"role": "chief", "units": ["TH-SS"]}],
    "chief.th": [{"role": "chief", "units": ["TH"]}],
    "approver.th": [{"role": "publication_approver", "units": ["TH"]}],
    "approver.ss": [{"role": "publication_approver", "units": ["TH-SS"]}],
    "custodian.ns": [{"role": "identity_custodian", "units": ["TH-NS"]}],
    "custodian.ss": [{"role": "identity_custodian", "units": ["TH-SS"]}],
}


@pytest.fixture
def role_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample registry plus `ROLE_USERS` in `access:`, made the configured registry."""
    raw = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))
    raw["access"] = {**raw.get("access", {}), **ROLE_USERS}
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("CITIZEN_DESK_REGISTRY", str(path))
    return path


def client_as(app, token: str) -> TestClient:
    return _client(app, token)


# --- the two auth managers: SimpleAuthManager (the demo's) and FAB (real deployments') -----------

FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
# FAB's default roles, each given the Citizen Desk page by `citizen-desk fab-access` (README)
FAB_ROLES = ("Viewer", "User", "Op", "Admin")
# a custom FAB role that may use Airflow (FAB gives every custom role the home page) but was not
# given the Citizen Desk page
FAB_NO_DESK_ROLE = "Dag readers"


@contextmanager
def configured_auth_manager(path: str, instance) -> Iterator[None]:
    """Make `instance` Airflow's auth manager (as `[core] auth_manager = path` would) meanwhile."""
    from airflow.api_fastapi.app import _AuthManagerState

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__CORE__AUTH_MANAGER", path)
        patch.setattr(_AuthManagerState, "instance", instance)
        yield


@pytest.fixture(scope="session")
def fab_auth_manager(airflow_db, auth_manager):
    """FabAuthManager on the test metadata DB (FAB's tables come with `airflow db migrate` when the
    provider is installed), its default roles given the page the way the README says; set up
    once per session, installed only by the `logins` fixture."""
    from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager

    from citizen_desk.web.fab_access import grant_page_access

    fab = FabAuthManager()
    with configured_auth_manager(FAB_AUTH_MANAGER, fab), pytest.MonkeyPatch.context() as patch:
        read_dags = [{"action": "can_read", "resource": "DAGs"}]
        patch.setenv("AIRFLOW__FAB__CUSTOM_ROLES", json.dumps({FAB_NO_DESK_ROLE: read_dags}))
        fab.init()
        assert grant_page_access(FAB_ROLES) == list(FAB_ROLES)
    return fab


class SimpleLogins:
    """JWTs issued by SimpleAuthManager: its users are whoever the token names."""

    name = "simple"

    def __init__(self, manager) -> None:
        self.manager = manager

    def token(self, username: str, airflow_role: str = "user") -> str:
        from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

        user = SimpleAuthManagerUser(username=username, role=airflow_role)
        return self.manager.generate_jwt(user)


class FabLogins:
    """JWTs issued by FabAuthManager for FAB users (rows of `ab_user`, created on first use) holding
    exactly the FAB role named like the Airflow role ("viewer" → Viewer) or given as is."""

    name = "fab"

    def __init__(self, manager) -> None:
        self.manager = manager

    def user(self, username: str, airflow_role: str = "user", *, active: bool = True):
        from airflow.providers.fab.auth_manager.models import Role, User
        from airflow.utils.session import create_session
        from sqlalchemy import select

        role_name = airflow_role.capitalize() if airflow_role.islower() else airflow_role
        with create_session() as session:
            role = session.scalars(select(Role).where(Role.name == role_name)).unique().one()
            by_name = select(User).where(User.username == username)
            user = session.scalars(by_name).unique().one_or_none()
            if user is None:
                user = User(
                    username=username,
                    first_name=username,
                    last_name="test",
                    email=f"{username}@example.test",
                    roles=[role],
                )
                session.add(user)
            elif [r.name for r in user.roles] == [role_name] and user.active == active:
                return user
            user.roles = [role]
            user.active = active
            session.flush()
        self.manager.cache.clear()  # FabAuthManager keeps users by id for [fab] cache_ttl
        return user

    def token(self, username: str, airflow_role: str = "user") -> str:
        return self.manager.generate_jwt(self.user(username, airflow_role))


@pytest.fixture(params=["simple", "fab"])
def logins(request: pytest.FixtureRequest, auth_manager) -> Iterator[SimpleLogins | FabLogins]:
    """Tokens from each auth manager in turn, that auth manager being Airflow's meanwhile."""
    if request.param == "simple":
        yield SimpleLogins(auth_manager)
        return
    fab = request.getfixturevalue("fab_auth_manager")
    with configured_auth_manager(FAB_AUTH_MANAGER, fab):
        yield FabLogins(fab)
