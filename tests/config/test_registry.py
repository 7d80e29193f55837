"""Registry validation: one test per error kind (asserting the message), all problems at once."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from citizen_desk.config.registry import load_registry, parse_registry
from citizen_desk.errors import ConfigError, RegistryErrors
from tests.conftest import REGISTRY_PATH

SAMPLE = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))
PATH = Path("registry.yaml")


def _broken(mutate) -> dict:
    raw = copy.deepcopy(SAMPLE)
    mutate(raw)
    return raw


def test_sample_registry_is_valid() -> None:
    registry = load_registry(REGISTRY_PATH)
    assert registry.unit("TH-NS").parent == "TH"
    assert {c.platform for c in registry.channels} == {"facebook", "zalo"}
    assert len(registry.active_channels()) == len(registry.channels) >= 15
    assert registry.timezone == "Asia/Ho_Chi_Minh"
    assert registry.case_url(12) == "http://localhost:8080/citizen-desk/cases/12"
    assert registry.notifications.fresh_within == timedelta(hours=2)
    assert registry.notifications.digest_after == 5


def test_catch_up_can_be_turned_off_and_defaults_apply() -> None:
    from citizen_desk.domain.catchup import CatchUpPolicy

    off = parse_registry(_broken(_set("notifications", {"catch_up_fresh_within": "off"})), PATH)
    assert off.notifications == CatchUpPolicy(fresh_within=None, digest_after=5)
    absent = parse_registry(_broken(lambda raw: raw.pop("notifications")), PATH)
    assert absent.notifications == CatchUpPolicy()


def test_collection_budgets_and_batch_size_default_to_the_old_behaviour() -> None:
    from citizen_desk.config.collection import CollectionPolicy, pools_for

    sample = load_registry(REGISTRY_PATH)
    absent = parse_registry(_broken(lambda raw: raw.pop("collection")), PATH)
    empty = parse_registry(_broken(_set("collection", {})), PATH)
    assert sample.collection == absent.collection == empty.collection == CollectionPolicy(4, 2, 1)
    assert pools_for(absent) == {
        "facebook_api": (4, "Concurrent Graph API collections"),
        "zalo_api": (2, "Concurrent Zalo OA collections"),
    }
    national = parse_registry(
        _broken(_set("collection", {"facebook_concurrency": 12, "batch_size": 50})), PATH
    )
    assert national.collection == CollectionPolicy(12, 2, 50)  # an absent key keeps its default
    assert national.collection.batch_size_for("zalo") == 50
    split = parse_registry(
        _broken(_set("collection", {"batch_size": 50, "facebook_batch_size": 200})), PATH
    )
    sizes = {p: split.collection.batch_size_for(p) for p in ("facebook", "zalo")}
    assert sizes == {"facebook": 200, "zalo": 50}
    assert {name: slots for name, (slots, _) in pools_for(national).items()} == {
        "facebook_api": 12,
        "zalo_api": 2,
    }


def _set(path: str, value):
    def mutate(raw):
        target = raw
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


CASES = [
    (
        "duplicate channel key",
        _set("channels.1.key", "fb-th"),
        "channels[fb-th].key: duplicate channel key 'fb-th'",
    ),
    (
        "duplicate channel id",
        _set("channels.1.platform_id", "100064512300001"),
        "channels[fb-th-ns].platform_id: duplicate channel id facebook:100064512300001",
    ),
    (
        "unknown parent",
        _set("units.1.parent", "NOWHERE"),
        "units[TH-NS].parent: unknown parent 'NOWHERE'",
    ),
    ("cycle", lambda raw: _set("units.0.parent", "TH-NS")(raw), "cycle through"),
    (
        "malformed slack id",
        _set("units.0.contacts.chief", "bob"),
        "units[TH].contacts.chief: malformed Slack id 'bob'",
    ),
    (
        "missing connection id",
        lambda raw: raw["channels"][2].pop("connection_id"),
        "channels[fb-th-ns-ttns].connection_id: missing connection id",
    ),
    ("unknown top-level key", _set("channel", []), "channel: unknown key"),
    ("unknown unit key", _set("units.2.chef", "x"), "units[TH-NS-TTNS].chef: unknown key"),
    (
        "unknown channel unit",
        _set("channels.0.unit", "TH-XX"),
        "channels[fb-th].unit: unknown unit 'TH-XX'",
    ),
    (
        "unknown platform",
        _set("channels.0.platform", "tiktok"),
        "channels[fb-th].platform: unknown platform 'tiktok'",
    ),
    ("unknown unit kind", _set("units.0.kind", "village"), "units[TH].kind: unknown kind"),
    ("duplicate unit code", _set("units.1.code", "TH"), "units[TH].code: duplicate unit code"),
    ("bad timezone", _set("timezone", "Mars/Olympus"), "timezone: unknown time zone"),
    (
        "bad sla duration",
        _set("sla.targets.question.first_response", "eight hours"),
        "sla.targets.question.first_response",
    ),
    (
        "unknown override unit",
        _set("sla.unit_overrides", {"TH-XX": {}}),
        "sla.unit_overrides.TH-XX: unknown unit",
    ),
    ("bad admin id", _set("technical_admins", ["nope"]), "technical_admins[0]: malformed"),
    (
        "bad digest threshold",
        _set("notifications.digest_after", 0),
        "notifications.digest_after: expected a positive integer, got 0",
    ),
    (
        "bad catch-up window",
        _set("notifications.catch_up_fresh_within", "soon"),
        "notifications.catch_up_fresh_within",
    ),
    (
        "collection: a budget of zero",
        _set("collection.facebook_concurrency", 0),
        "collection.facebook_concurrency: expected a positive integer, got 0",
    ),
    (
        "collection: a budget in words",
        _set("collection.zalo_concurrency", "two"),
        "collection.zalo_concurrency: expected a positive integer, got 'two'",
    ),
    (
        "collection: a batch size that is a flag",
        _set("collection.batch_size", True),
        "collection.batch_size: expected a positive integer, got True",
    ),
    (
        "collection: a fractional batch size",
        _set("collection.batch_size", 2.5),
        "collection.batch_size: expected a positive integer, got 2.5",
    ),
    (
        "collection: a platform's batch size of zero",
        _set("collection.zalo_batch_size", 0),
        "collection.zalo_batch_size: expected a positive integer, got 0",
    ),
    (
        "collection: unknown key",
        _set("collection.max_active_tasks", 8),
        "collection.max_active_tasks: unknown key (allowed: batch_size, facebook_batch_size,"
        " facebook_concurrency, zalo_batch_size, zalo_concurrency)",
    ),
    ("collection: not a mapping", _set("collection", [4, 2]), "collection: expected a mapping"),
    (
        "access: unknown unit",
        _set("access.officer", [{"role": "officer", "units": ["TH-NS", "TH-XX"]}]),
        "access.officer[0].units[1]: unknown unit 'TH-XX'",
    ),
    (
        "access: unknown role",
        _set("access.officer", [{"role": "boss", "units": ["TH"]}]),
        "access.officer[0].role: unknown role 'boss' (allowed: viewer, officer, chief,",
    ),
    (
        "access: unit-scoped role without units",
        _set("access.officer", [{"role": "chief"}]),
        "access.officer[0].units: role chief needs the units it covers",
    ),
    (
        "access: units on a role that has none",
        _set("access.admin", [{"role": "technical_admin", "units": ["TH"]}]),
        "access.admin[0].units: role technical_admin is not limited to units",
    ),
    (
        "access: a role twice",
        _set(
            "access.officer",
            [{"role": "officer", "units": ["TH-NS"]}, {"role": "officer", "units": ["TH-SS"]}],
        ),
        "access.officer[1].role: role officer given twice (merge its units)",
    ),
    ("access: empty user", _set("access.officer", []), "access.officer: expected a non-empty"),
    (
        "access: unknown key",
        _set("access.officer", [{"role": "officer", "units": ["TH-NS"], "slack": "U1"}]),
        "access.officer[0].slack: unknown key",
    ),
    ("access: not a mapping", _set("access", ["admin"]), "access: "),
]


@pytest.mark.parametrize(("name", "mutate", "message"), CASES, ids=[c[0] for c in CASES])
def test_each_error_names_file_key_and_problem(name, mutate, message) -> None:
    with pytest.raises(ConfigError) as error:
        parse_registry(_broken(mutate), PATH)
    assert str(error.value).startswith("registry.yaml: ")
    assert message in str(error.value)


def test_sample_access_maps_the_demo_users() -> None:
    from citizen_desk.access import Grant
    from citizen_desk.domain.vocabulary import AccessRole

    registry = load_registry(REGISTRY_PATH)
    assert registry.grants_of("officer") == (Grant(AccessRole.OFFICER, frozenset({"TH-NS"})),)
    assert registry.grants_of("nobody") == ()  # a viewer
    # scripts/approve_publication.py answers as `admin` in the demo and the e2e harness
    assert {registry.publication_approvers(u.code) for u in registry.units} == {("admin",)}
    assert registry.unit_tree()["TH-NS-NGATHUY"] == "TH-NS"
    assert registry.unit_tree()["TH"] is None


def test_access_problems_come_with_the_others_in_one_run() -> None:
    def mutate(raw: dict) -> None:
        raw["units"][2]["parent"] = "NOWHERE"
        raw["access"]["officer"] = [{"role": "officer", "units": ["TH-XX"]}]
        raw["access"]["x"] = [{"role": "identity_custodian"}]

    with pytest.raises(RegistryErrors) as error:
        parse_registry(_broken(mutate), PATH)
    assert [key for key, _ in error.value.problems] == [
        "units[TH-NS-TTNS].parent",
        "access.officer[0].units[0]",
        "access.x[0].units",
    ]


_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=8),
    st.sampled_from(["officer", "chief", "viewer", "TH", "TH-NS", "units", "role"]),
)
_keys = st.one_of(st.text(max_size=6), st.sampled_from(["role", "units"]))
_hostile = st.recursive(
    _leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)


def _access_problems(raw: dict) -> list[tuple[str, str]] | None:
    try:
        parse_registry(raw, PATH)
    except RegistryErrors as error:
        return error.problems
    return None


@given(_hostile)
def test_a_hostile_access_section_is_a_config_error_naming_it(access) -> None:
    """Whatever `access:` holds, parsing either succeeds or reports problems under `access`."""
    raw = _broken(lambda r: r.__setitem__("access", access))
    problems = _access_problems(raw)
    if problems is None:
        registry = parse_registry(raw, PATH)
        for user, grants in registry.access.items():
            assert isinstance(user, str)
            assert all(unit in registry.unit_tree() for g in grants for unit in g.units)
    else:
        assert problems
        assert all(key.startswith("access") for key, _ in problems), problems


def test_airflow_user_ids_map_approvers_to_the_auth_managers_ids() -> None:
    """FAB checks a HITL answer against its numeric user id: `airflow_user_ids:` gives it."""
    registry = parse_registry(
        _broken(lambda r: r.__setitem__("airflow_user_ids", {"admin": 7})), PATH
    )
    assert registry.airflow_user_id("admin") == "7"
    assert registry.airflow_user_id("officer") == "officer"  # SimpleAuthManager: the name
    bad = _broken(lambda r: r.__setitem__("airflow_user_ids", {"nobody": 3, "admin": " "}))
    with pytest.raises(RegistryErrors) as error:
        parse_registry(bad, PATH)
    assert sorted(key for key, _ in error.value.problems) == [
        "airflow_user_ids.admin",
        "airflow_user_ids.nobody",
    ]


def test_a_registry_without_access_makes_everyone_a_viewer() -> None:
    registry = parse_registry(_broken(lambda raw: raw.pop("access")), PATH)
    assert registry.access == {}
    assert registry.publication_approvers("TH") == ()


def test_unreadable_and_invalid_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read registry"):
        load_registry(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("units: [\n  - code: TH\n  name", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: line \d+: invalid YAML"):
        load_registry(bad)


def test_every_problem_is_reported_in_one_run() -> None:
    def mutate(raw: dict) -> None:
        raw["units"][0]["contacts"]["chief"] = "bob"  # the root stays known to its children
        raw["units"][2]["parent"] = "NOWHERE"
        raw["channels"][1]["key"] = "fb-th"
        raw["channels"][3]["platform"] = "tiktok"
        raw["sla"]["targets"]["tip"]["clock"] = "business"
        raw["escalation"]["ladder"][1]["role"] = "director"
        raw["calendar"]["working_windows"]["mon"] = ["7h30-11h30"]

    with pytest.raises(RegistryErrors) as error:
        parse_registry(_broken(mutate), PATH)
    assert [key for key, _ in error.value.problems] == [
        "units[TH].contacts.chief",
        "units[TH-NS-TTNS].parent",
        "channels[zalo-th-ns-ttns].platform",
        "channels[fb-th].key",
        "calendar.working_windows.mon[0]",
        "sla.targets.tip.clock",
        "escalation.ladder[1].role",
    ]
    lines = str(error.value).splitlines()
    assert len(lines) == 7
    assert all(line.startswith("registry.yaml: ") for line in lines)
    assert "registry.yaml: units[TH-NS-TTNS].parent: unknown parent 'NOWHERE'" in lines
    assert (
        "registry.yaml: channels[zalo-th-ns-ttns].platform: unknown platform 'tiktok' "
        "(allowed: facebook, zalo)"
    ) in lines
    assert "expected one of duty_officer, chief, got 'director'" in lines[-1]
    assert (error.value.key, error.value.problem) == error.value.problems[0]


def test_a_bad_time_zone_is_reported_beside_a_document_level_problem() -> None:
    def mutate(raw: dict) -> None:
        raw["timezone"] = "Mars/Base"
        raw["publication"]["min_count"] = "many"  # the document's model fails

    with pytest.raises(RegistryErrors) as error:
        parse_registry(_broken(mutate), PATH)
    keys = [key for key, _ in error.value.problems]
    assert "timezone" in keys
    assert "publication.min_count" in keys


def test_list_items_without_code_are_named_by_index() -> None:
    index = len(SAMPLE["units"])
    with pytest.raises(RegistryErrors) as error:
        parse_registry(_broken(lambda raw: raw["units"].append({"name": "x"})), PATH)
    assert error.value.problems == [
        (f"units[{index}].code", "required"),
        (f"units[{index}].kind", "required"),
    ]


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    text = REGISTRY_PATH.read_text(encoding="utf-8")
    root = "  - code: TH\n    name: Công an tỉnh Thanh Hóa\n"
    assert root in text
    text = text.replace(root, root + "    name: Tỉnh\n") + "technical_admins: []\n"
    broken = tmp_path / "registry.yaml"
    broken.write_text(text, encoding="utf-8")
    last_line = len(text.splitlines())
    with pytest.raises(RegistryErrors) as error:
        load_registry(broken)
    assert error.value.problems == [
        ("units[TH].name", "duplicate key (line 16)"),
        ("technical_admins", f"duplicate key (line {last_line})"),
    ]
    assert f"registry.yaml: technical_admins: duplicate key (line {last_line})" in str(error.value)


@pytest.mark.airflow  # reads Airflow's [api] base_url
def test_alert_links_point_at_the_public_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """CITIZEN_DESK_BASE_URL + /citizen-desk, else the registry's value, else Airflow's
    [api] base_url + /citizen-desk, else localhost."""
    without = _broken(lambda raw: raw.pop("case_view_base_url"))
    monkeypatch.delenv("CITIZEN_DESK_BASE_URL", raising=False)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "")
    assert parse_registry(without, PATH).case_view_base_url == "http://localhost:8080/citizen-desk"
    assert parse_registry(SAMPLE, PATH).case_view_base_url == SAMPLE["case_view_base_url"]

    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.internal/")
    assert parse_registry(without, PATH).case_view_base_url == (
        "https://airflow.internal/citizen-desk"
    )
    assert parse_registry(SAMPLE, PATH).case_view_base_url == SAMPLE["case_view_base_url"]

    monkeypatch.setenv("CITIZEN_DESK_BASE_URL", "https://desk.congan.example/ ")
    for raw in (SAMPLE, without):
        registry = parse_registry(raw, PATH)
        assert registry.case_view_base_url == "https://desk.congan.example/citizen-desk"
        assert registry.tip_url(7) == "https://desk.congan.example/citizen-desk/tips/7"
        assert registry.case_url(7) == "https://desk.congan.example/citizen-desk/cases/7"

    monkeypatch.setenv("CITIZEN_DESK_BASE_URL", "desk.congan.example")
    with pytest.raises(ConfigError) as error:
        parse_registry(SAMPLE, PATH)
    assert (error.value.path, error.value.key) == ("environment", "CITIZEN_DESK_BASE_URL")
