"""Fast checks of the e2e machinery (no Airflow processes): the celery topology's environment is
derived from docker-compose.yml, so the two cannot drift; the confidentiality sweep and the
run comparison find what they must."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from e2e import checks, confidentiality
from e2e.environment import (
    COMPOSE_FILE,
    REPO,
    ComposeError,
    common_environment,
    compose_environment,
    interpolate,
    load_compose,
    rewrite_url,
)

SECRETS = {"FERNET_KEY": "fernet-x", "JWT_SECRET": "jwt-x", "API_SECRET_KEY": "api-x"}
DATABASES = {
    "airflow": "postgresql://postgres@127.0.0.1:5432/cd_e2e_airflow_t",
    "citizen_desk": "postgresql://postgres@127.0.0.1:5432/cd_e2e_domain_t",
}


def _env(tmp_path: Path, **kwargs) -> dict[str, str]:
    return compose_environment(
        variables=SECRETS,
        databases=DATABASES,
        services={"airflow-apiserver": "127.0.0.1:18123"},
        paths={"/opt/airflow/config": str(tmp_path / "config"), "/opt/airflow/data": "/d"},
        redis_url="redis://127.0.0.1:6379/7",
        **kwargs,
    )


def test_every_compose_variable_reaches_the_local_processes(tmp_path: Path) -> None:
    compose = common_environment(load_compose())
    env = _env(tmp_path)
    assert set(env) == set(compose)
    untouched = [k for k, v in compose.items() if "${" not in v and "/" not in v]
    assert untouched, "the compose file should have plain settings too"
    for key in untouched:
        assert env[key] == compose[key], key


def test_nothing_points_at_a_container_any_more(tmp_path: Path) -> None:
    env = _env(tmp_path)
    for key, value in env.items():
        assert "/opt/airflow" not in value, key
        assert "@postgres" not in value, key
        assert "@redis" not in value, key
        assert "airflow-apiserver" not in value, key
        assert "${" not in value, key


def test_databases_broker_and_api_are_rewritten(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == (
        "postgresql+psycopg2://postgres@127.0.0.1:5432/cd_e2e_airflow_t"
    )
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == (
        "db+postgresql://postgres@127.0.0.1:5432/cd_e2e_airflow_t"
    )
    assert env["AIRFLOW_CONN_CITIZEN_DESK_DB"] == (
        "postgresql://postgres@127.0.0.1:5432/cd_e2e_domain_t"
    )
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:6379/7"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18123/execution/"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"


def test_secrets_are_shared_and_paths_map_to_the_repo(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "jwt-x"
    assert env["AIRFLOW__CORE__FERNET_KEY"] == "fernet-x"
    assert env["AIRFLOW__API__SECRET_KEY"] == "api-x"
    assert env["PYTHONPATH"] == str(REPO / "include")
    assert env["CITIZEN_DESK_REGISTRY"] == str(REPO / "include" / "config" / "registry.yaml")
    assert env["CITIZEN_DESK_DATA_DIR"] == "/d"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == str(
        tmp_path / "config" / "passwords.json"
    )
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"  # ${VAR:-admin}


def test_overrides_win_and_none_removes(tmp_path: Path) -> None:
    env = _env(tmp_path, overrides={"AIRFLOW__API__BASE_URL": "http://x", "PYTHONPATH": None})
    assert env["AIRFLOW__API__BASE_URL"] == "http://x"
    assert "PYTHONPATH" not in env


def test_a_new_compose_setting_is_picked_up(tmp_path: Path) -> None:
    """Drift guard: whatever the compose file adds reaches the e2e processes."""
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    compose["x-airflow-common"]["environment"]["AIRFLOW__CORE__PARALLELISM"] = "7"
    compose["x-airflow-common"]["environment"]["EXTRA_URL"] = "http://redis:6380/x"
    env = compose_environment(variables=SECRETS, databases=DATABASES, compose=compose)
    assert env["AIRFLOW__CORE__PARALLELISM"] == "7"
    assert env["EXTRA_URL"] == "http://127.0.0.1:6380/x"


def test_unset_variables_without_default_fail() -> None:
    assert interpolate("${A:-x}-${B}", {"B": "y"}) == "x-y"
    with pytest.raises(ComposeError, match="JWT_SECRET"):
        interpolate("${JWT_SECRET}", {})


def test_urls_of_other_hosts_are_left_alone() -> None:
    assert rewrite_url("https://graph.facebook.com/v21.0/") == "https://graph.facebook.com/v21.0/"
    assert rewrite_url("redis://:@redis:6379/0") == "redis://:@127.0.0.1:6379/0"


# What a test worker or a developer's shell may hold when the e2e starts: another test's registry
# (broken, or gone), a base URL no registry loads with, Airflow's context of a task run in-process.
CALLER_ENV = {
    "CITIZEN_DESK_REGISTRY": "/nonexistent/registry.yaml",
    "CITIZEN_DESK_BASE_URL": "not-a-url",
    "CITIZEN_DESK_DEADLINES": "off",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
    "AIRFLOW_CTX_DAG_ID": "check_reply_sla",
}


@pytest.mark.slow  # runs scripts/demo.sh, which starts Python
def test_the_local_topology_reuses_demo_sh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`demo.sh env` runs from a clean environment: nothing of the caller's reaches
    scripts/demo_env.py (which loads the registry) or the topology's environment."""
    from e2e.environment import demo_environment

    for key, value in CALLER_ENV.items():
        monkeypatch.setenv(key, value)
    data = tmp_path / "data"
    env = demo_environment(
        tmp_path / "state",
        {
            "AIRFLOW_PORT": "18999",
            "SIM_PORT": "18998",
            "CITIZEN_DESK_DATA_DIR": str(data),
            "CITIZEN_DESK_DB_URL": f"sqlite:///{data}/x.db",
        },
    )
    assert env["AIRFLOW_HOME"] == str(tmp_path / "state")
    assert env["AIRFLOW__API__BASE_URL"] == "http://localhost:18999"
    assert env["CITIZEN_DESK_DATA_DIR"] == str(data)
    slack = json.loads(env["AIRFLOW_CONN_CITIZEN_DESK_SLACK"])
    assert slack["extra"]["base_url"] == "http://127.0.0.1:18998/api/"
    assert (tmp_path / "state" / "passwords.json").exists()  # not the demo's own state dir
    # the setup DAG's sync_pools logs in to the demo's own api-server
    api = json.loads(env["AIRFLOW_CONN_CITIZEN_DESK_AIRFLOW_API"])
    passwords = json.loads((tmp_path / "state" / "passwords.json").read_text(encoding="utf-8"))
    assert api["host"] == "http://localhost:18999"
    assert api["password"] == passwords[api["login"]]
    assert not set(CALLER_ENV) & set(env)
    # the channels' tokens are not in the environment: a file only its owner reads, which
    # demo_ready.py loads into Airflow's metadata DB
    from citizen_desk.pipeline.connections import read_connections_file

    assert not any(key.startswith(("AIRFLOW_CONN_FB_", "AIRFLOW_CONN_ZALO_")) for key in env)
    channels = Path(env["CITIZEN_DESK_DEMO_CONNECTIONS"])
    assert channels.stat().st_mode & 0o777 == 0o600
    bodies = {body["connection_id"]: body for body in read_connections_file(channels)}
    assert bodies["fb_th"]["password"].startswith("sim-page-token-")
    assert len(bodies) == 18


@pytest.mark.slow  # runs scripts/demo.sh, which starts Python
def test_a_fernet_key_starting_with_a_dash_reaches_airflow(tmp_path: Path) -> None:
    """URL-safe base64 starts with "-" one key in 64; passed as `--fernet-key -...`, argparse read
    it as an option and `demo.sh env` failed (a red CI run)."""
    from cryptography.fernet import Fernet

    from e2e.environment import demo_environment

    key = next(k for k in iter(lambda: Fernet.generate_key().decode(), None) if k.startswith("-"))
    state = tmp_path / "state"
    state.mkdir()
    (state / "fernet.key").write_text(key + "\n", encoding="utf-8")
    data = tmp_path / "data"
    env = demo_environment(
        state,
        {"CITIZEN_DESK_DATA_DIR": str(data), "CITIZEN_DESK_DB_URL": f"sqlite:///{data}/x.db"},
    )
    assert env["AIRFLOW__CORE__FERNET_KEY"] == key
    slack = json.loads(env["AIRFLOW_CONN_CITIZEN_DESK_SLACK"])
    assert slack["extra"]["base_url"].startswith("http://127.0.0.1:")


# --- the confidentiality sweep -------------------------------------------------------------------

CANARY = {"name": "Khổng Thị Diệu Huyền", "psid": "7311958204417731", "phone": "0915 274 863"}
SPELLED = {"name": "Âu Dương Quốc Khánh", "phone": "không ba tám bảy", "digits": "0387615429"}


def test_the_needle_of_a_spelled_number_is_its_digits() -> None:
    pins = confidentiality.needles([SPELLED])
    assert confidentiality.scan_text("liên hệ 0387 615 429", "here", pins)
    assert confidentiality.scan_text(
        "liên hệ không ba tám bảy, sáu một lăm, bốn hai chín", "here", pins
    )
    assert not confidentiality.scan_text("liên hệ không ba tám bảy", "here", pins)


@pytest.mark.parametrize(
    "text",
    [
        "tin báo của Khổng Thị Diệu Huyền",
        "KHONG THI DIEU HUYEN gọi",
        json.dumps({"n": "Khổng Thị Diệu Huyền"}),  # \u escapes
        "psid 7311958204417731.",
        "gọi 0915274863",
        "gọi 0915.274.863",
        "gọi +84 915 274 863",
        "gọi 0915\u00a0274\u202f863",  # no-break and thin spaces
        "gọi 0915\u200b274\u200b863",  # zero-width spaces
        "gọi ０９１５ ２７４ ８６３",  # full-width digits
        "gọi O9l5 – 274 – 863",  # teencode, en dashes
        "gọi không chín một lăm, hai bảy bốn, tám sáu ba",
        "khong chin mot nam hai bay bon tam sau ba",
        "gọi (+84) 0915-274-863",
        "ngày 23/11 0915274863",  # glued to a date by the separator fold
        "số 915 274 863",  # without its 0 it is still the number
    ],
)
def test_sweep_finds_every_form_of_a_canary(text: str) -> None:
    hits = confidentiality.scan_text(text, "here", confidentiality.needles([CANARY]))
    assert hits
    assert all("Khổng" not in str(h) and "0915" not in str(h) for h in hits)


@pytest.mark.parametrize(
    "text",
    ["CD-000123 Nga Thủy", "17311958204417731", "0915 274 864", "915 274 86", "[SĐT] ngày 23/11"],
)
def test_sweep_ignores_lookalikes(text: str) -> None:
    assert confidentiality.scan_text(text, "here", confidentiality.needles([CANARY])) == []


def test_sweep_reports_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("ok\nstill ok\nSĐT 0915 274 863\n", encoding="utf-8")
    (tmp_path / "domain.db").write_text("0915 274 863", encoding="utf-8")  # the DB may hold it
    hits, files = confidentiality.scan_files(
        confidentiality.walk(tmp_path), confidentiality.needles([CANARY]), "task log"
    )
    assert files == 1
    assert [str(h) for h in hits] == [f"canary 1 phone found in task log {tmp_path / 'a.log'}:3"]


# --- outbox vs Slack, and comparing runs -------------------------------------------------------

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def _state(*notes: tuple[str, str, str]) -> checks.DomainState:
    state = checks.DomainState()
    state.cases = {7: ("fb-th", "t_1")}
    state.tip_case = {3: 7}
    for key, recipient, status in notes:
        state.notifications.append(
            {
                "key": key,
                "kind": "tip_reminder",
                "recipient": recipient,
                "status": status,
                "created_at": T0,
                "last_error": None,
                "payload": {},
            }
        )
    for note in state.notifications:
        note["norm"] = state.normalise_key(note["key"])
    return state


def _slack(key: str, channel: str) -> dict:
    return {
        "requested_channel": channel,
        "channel": channel,
        "ts": "1.0",
        "text": "x",
        "metadata": {"event_type": "citizen_desk_notification", "event_payload": {"key": key}},
    }


def test_outbox_and_slack_agree() -> None:
    state = _state(("tip:3:L0:arrival:0:U1", "U1", "sent"))
    problems, _ = checks.check_outbox_against_slack(state, [_slack("tip:3:L0:arrival:0:U1", "U1")])
    assert problems == []


def test_duplicates_and_losses_are_found() -> None:
    state = _state(("tip:3:L0:arrival:0:U1", "U1", "sent"), ("sla:7:1:warning", "U2", "sent"))
    slack = [_slack("tip:3:L0:arrival:0:U1", "U1")] * 2
    problems = "\n".join(checks.check_outbox_against_slack(state, slack)[0])
    assert "duplicate Slack messages for key tip:3:L0:arrival:0:U1: 2" in problems
    assert "sent but never received by Slack: sla:7:1:warning" in problems
    assert "U1: outbox sent 1, Slack received 2" in problems


def test_keys_are_normalised_to_stable_case_names() -> None:
    state = _state()
    assert state.normalise_key("sla:7:2:breach:U9") == "sla:fb-th/t_1:2:breach:U9"
    assert state.normalise_key("tip:3:L1:reminder:2:U9") == "tip:fb-th/t_1:L1:reminder:2:U9"
    assert state.normalise_key("tip-digest:U9:2026-11-28") == "tip-digest:U9:2026-11-28"
    notice = "pii-withheld:CD-000007:excerpt:name:C07"
    assert state.normalise_key(notice) == "pii-withheld:fb-th/t_1:excerpt:name:C07"


def test_a_pii_notice_is_due_when_the_alert_it_withheld_from_was() -> None:
    """The gate's notice to the admins exists because an alert's excerpt was withheld: a later
    run whose only extra alert became due after the first run's last sweep has its notice too."""
    alert, notice = "tip:3:L1:escalation:0:U1", "pii-withheld:CD-000007:excerpt:name:C07"
    state = _state((alert, "U1", "sent"), (notice, "C07", "sent"))
    head = checks._withheld_head(
        {"withheld": {"excerpt": ["name"]}}, "CD-000007: excerpt withheld (name)"
    )
    assert head == notice.removesuffix(":C07")
    state.withheld_from[head] = [alert]
    due = checks.due_times(state, {alert: T0 + timedelta(minutes=3)})
    assert due["pii-withheld:fb-th/t_1:excerpt:name:C07"] == T0 + timedelta(minutes=3)
    calm = _outcome({}, last=T0)
    later = _outcome({}, last=T0 + timedelta(minutes=9))
    later.sent_keys, later.due_at = {n["norm"] for n in state.notifications}, due
    assert checks.compare_outcomes(calm, later)[0] == []


def _outcome(keys: dict[str, datetime | None], last: datetime) -> checks.RunOutcome:
    return checks.RunOutcome(
        messages={("fb-th", "m1")},
        categories={},
        sent_keys=set(keys),
        due_at={k: v for k, v in keys.items() if v},
        posts={"fb-th": ["p"]},
        publications={},
        first_eval=last - timedelta(minutes=5),
        last_eval=last,
    )


def test_comparison_accepts_only_what_the_clock_explains() -> None:
    calm = _outcome({"a": T0, "tip:x:L1:reminder:1:U": T0}, last=T0)
    later = _outcome(
        {
            "a": T0,
            "tip:x:L1:reminder:2:U": T0 + timedelta(hours=1),  # supersedes reminder 1
            "b": T0 + timedelta(minutes=3),  # became due after the calm run's last sweep
        },
        last=T0 + timedelta(minutes=10),
    )
    problems, info = checks.compare_outcomes(calm, later)
    assert problems == []
    assert "3 differences explained" in info[0] or "2 differences explained" in info[0]


def test_a_reminder_is_explained_by_the_tip_reaching_the_next_level_later() -> None:
    # The later run's first sweep came after level 3 was due: level 2 reminders had stopped.
    calm = _outcome({"tip:x:L2:escalation:0:U": T0, "tip:x:L2:reminder:3:U": T0}, last=T0)
    later = _outcome(
        {"tip:x:L2:escalation:0:U": T0, "tip:x:L3:escalation:0:P": T0 + timedelta(minutes=4)},
        last=T0 + timedelta(minutes=9),
    )
    problems, info = checks.compare_outcomes(calm, later)
    assert problems == []
    assert "higher level" in "\n".join(info)

    same_level = _outcome({"tip:x:L2:escalation:0:U": T0}, last=T0 + timedelta(minutes=9))
    problems, _ = checks.compare_outcomes(calm, same_level)
    assert problems == ["enqueued only in the undisturbed run: tip:x:L2:reminder:3:U"]
    other_tip = _outcome(
        {"tip:x:L2:escalation:0:U": T0, "tip:y:L3:escalation:0:P": T0 + timedelta(minutes=4)},
        last=T0 + timedelta(minutes=9),
    )
    problems, _ = checks.compare_outcomes(calm, other_tip)
    assert problems == ["enqueued only in the undisturbed run: tip:x:L2:reminder:3:U"]


def test_comparison_catches_lost_and_spurious_notifications() -> None:
    calm = _outcome({"a": T0, "lost": T0}, last=T0)
    later = _outcome({"a": T0, "early": T0 - timedelta(hours=1)}, last=T0 + timedelta(minutes=9))
    later.posts = {"fb-th": ["p", "p"]}
    problems = "\n".join(checks.compare_outcomes(calm, later)[0])
    assert "enqueued only in the undisturbed run: lost" in problems
    assert "enqueued only in the disturbed run: early" in problems
    assert "weekly posts differ on fb-th" in problems


def test_grouping_messages_are_left_out_of_the_comparison() -> None:
    """Catch-up summaries and delivery digests name a run time or a row id: not comparable. The
    alerts they group keep their own keys (superseded / digested) and are compared."""
    state = _state(
        ("tip:3:L2:escalation:0:U1", "U1", "superseded"),
        ("tip:3:L3:escalation:0:P", "P", "digested"),
        ("tip-catchup:TH:U1:20261123T0300Z", "U1", "sent"),
        ("notify-digest:P:41", "P", "sent"),
    )
    state.notifications[2]["kind"] = "tip_catchup"
    state.notifications[3]["kind"] = "notify_digest"
    outcome = checks.outcome(state, {})
    assert outcome.sent_keys == {
        "tip:fb-th/t_1:L2:escalation:0:U1",
        "tip:fb-th/t_1:L3:escalation:0:P",
    }


def test_a_reminder_count_nobody_received_is_found() -> None:
    state = _state(
        ("tip:3:L3:reminder:19:U1", "U1", "sent"), ("tip:3:L3:reminder:20:U1", "U1", "sent")
    )
    state.notifications[0]["payload"] = {"text": "Nhắc lần 19: cấp 3 chưa xác nhận"}
    state.notifications[1]["payload"] = {"text": "Nhắc lần 2: cấp 3 chưa xác nhận"}
    state.notifications[1]["created_at"] = T0 + timedelta(hours=12)
    problems, _ = checks.check_reminder_counts(state)
    assert problems == ["tip:3:L3:reminder:19:U1: says reminder 19, only 1 enqueued"]

    state.notifications[0]["payload"] = {"text": "Nhắc lần 1: cấp 3 chưa xác nhận"}
    assert checks.check_reminder_counts(state)[0] == []


def test_the_topologies_create_the_pools_their_registry_asks_for(tmp_path: Path) -> None:
    from e2e.topology import registry_pools

    raw = yaml.safe_load((REPO / "include" / "config" / "registry.yaml").read_text("utf-8"))
    raw["collection"] = {"facebook_concurrency": 6}
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    pools = registry_pools({"CITIZEN_DESK_REGISTRY": str(path)})
    assert {name: slots for name, (slots, _) in pools.items()} == {"facebook_api": 6, "zalo_api": 2}
