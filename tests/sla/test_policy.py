from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from citizen_desk.errors import ConfigError
from citizen_desk.sla.calendar import WorkingCalendar, default_calendar
from citizen_desk.sla.policy import SlaTarget, SlaTurn, evaluate_turn, parse_sla_policy

VN = ZoneInfo("Asia/Ho_Chi_Minh")
H = timedelta(hours=1)
M = timedelta(minutes=1)
CAL = default_calendar()
REGISTRY = Path(__file__).resolve().parents[2] / "include" / "config" / "registry.yaml"

SECTION = """
warn_ratio: 0.75
reply_window:
  facebook: 24h
  zalo: 7d
targets:
  question:   {first_response: 8h, next_response: 8h, clock: working}
  lost_found: {first_response: 2h, next_response: 2h, clock: wall}
  tip:        {first_response: 4h, next_response: 8h, clock: wall}
  feedback:   {first_response: 16h, next_response: 16h, clock: working}
unit_overrides:
  TH-SS: {question: {first_response: 4h}}
"""
POLICY = parse_sla_policy(yaml.safe_load(SECTION), path="registry.yaml")


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=VN)


def turn(
    started_at: datetime,
    *,
    category: str = "question",
    platform: str = "zalo",
    unit: str = "TH-NS-NGATHUY",
    turn_no: int = 1,
    last_citizen_at: datetime | None = None,
    responded_at: datetime | None = None,
) -> SlaTurn:
    return SlaTurn(
        case_id=42,
        turn_no=turn_no,
        category=category,
        unit_code=unit,
        platform=platform,
        started_at=started_at,
        last_citizen_at=last_citizen_at or started_at,
        responded_at=responded_at,
    )


def evaluate(t: SlaTurn, now: datetime, *, policy=POLICY, calendar=CAL):
    return evaluate_turn(t, policy, calendar, now)


# --- a question on Zalo, Monday 08:00: 8 working hours -> due Tuesday 08:30 ----------------------

MONDAY_QUESTION = turn(vn(2026, 3, 2, 8))


def test_open_turn_on_track_then_warning_then_breached():
    on_track = evaluate(MONDAY_QUESTION, vn(2026, 3, 2, 10))
    assert on_track.state == "on_track"
    assert on_track.due_at == vn(2026, 3, 3, 8, 30)
    assert on_track.warn_at == vn(2026, 3, 2, 16)  # 6 working hours
    assert on_track.ceiling_at == vn(2026, 3, 9, 8)
    assert on_track.remaining == 6 * H  # working time: 1h30 + 3h30 + 1h
    assert on_track.overdue_by is None
    assert on_track.policy_version == POLICY.version
    assert on_track.due_at.tzinfo is on_track.warn_at.tzinfo is on_track.ceiling_at.tzinfo is UTC
    assert (on_track.case_id, on_track.turn_no) == (42, 1)

    warning = evaluate(MONDAY_QUESTION, vn(2026, 3, 2, 16, 30))
    assert warning.state == "warning"
    assert warning.remaining == 90 * M

    at_warn = evaluate(MONDAY_QUESTION, vn(2026, 3, 2, 16))
    assert at_warn.state == "warning"

    overnight = evaluate(MONDAY_QUESTION, vn(2026, 3, 2, 22))
    assert overnight.state == "warning"
    assert overnight.remaining == H

    breached = evaluate(MONDAY_QUESTION, vn(2026, 3, 3, 9))
    assert breached.state == "breached"
    assert breached.overdue_by == 30 * M
    assert breached.remaining is None

    at_due = evaluate(MONDAY_QUESTION, vn(2026, 3, 3, 8, 30))
    assert at_due.state == "breached"
    assert at_due.overdue_by == timedelta(0)


def test_answered_in_time():
    answered = turn(vn(2026, 3, 2, 8), responded_at=vn(2026, 3, 2, 15))
    verdict = evaluate(answered, vn(2026, 3, 4))
    assert verdict.state == "met"
    assert verdict.overdue_by is None
    assert verdict.remaining is None
    assert verdict.due_at == vn(2026, 3, 3, 8, 30)


def test_answered_exactly_at_due_is_met():
    answered = turn(vn(2026, 3, 2, 8), responded_at=vn(2026, 3, 3, 8, 30))
    assert evaluate(answered, vn(2026, 3, 4)).state == "met"


def test_answered_late_counts_working_time():
    answered = turn(vn(2026, 3, 2, 8), responded_at=vn(2026, 3, 3, 14))
    verdict = evaluate(answered, vn(2026, 3, 4))
    assert verdict.state == "met_late"
    assert verdict.overdue_by == 3 * H + 30 * M  # 08:30-11:30 and 13:30-14:00, not the lunch break


def test_reply_after_now_is_ignored():
    answered = turn(vn(2026, 3, 2, 8), responded_at=vn(2026, 3, 3, 14))
    assert evaluate(answered, vn(2026, 3, 3, 9)).state == "breached"
    assert evaluate(answered, vn(2026, 3, 2, 9)).state == "on_track"


def test_never_answered_wall_clock_over_a_weekend_night():
    lost = turn(vn(2026, 3, 7, 22), category="lost_found", platform="facebook")
    verdict = evaluate(lost, vn(2026, 3, 8, 9))
    assert verdict.state == "breached"
    assert verdict.due_at == vn(2026, 3, 8, 0)
    assert verdict.warn_at == vn(2026, 3, 7, 23, 30)
    assert verdict.overdue_by == 9 * H


def test_follow_up_turn_uses_next_response():
    first = evaluate(turn(vn(2026, 3, 4, 10), category="tip"), vn(2026, 3, 4, 13, 30))
    assert first.due_at == vn(2026, 3, 4, 14)
    assert first.state == "warning"
    follow_up = turn(vn(2026, 3, 4, 10), category="tip", turn_no=2)
    verdict = evaluate(follow_up, vn(2026, 3, 4, 13, 30))
    assert verdict.due_at == vn(2026, 3, 4, 18)
    assert verdict.warn_at == vn(2026, 3, 4, 16)
    assert verdict.state == "on_track"
    assert verdict.remaining == 4 * H + 30 * M
    assert verdict.turn_no == 2


def test_reply_window_cuts_a_working_hours_target_over_the_weekend():
    # Friday 16:00: 8 working hours would end Monday 16:30, but Messenger closes 24h after the
    # citizen's last message (Friday 16:30), so the due time is Saturday 16:30, on the wall clock.
    friday = turn(vn(2026, 3, 6, 16), platform="facebook", last_citizen_at=vn(2026, 3, 6, 16, 30))
    verdict = evaluate(friday, vn(2026, 3, 7, 12))
    assert verdict.ceiling_at == vn(2026, 3, 7, 16, 30)
    assert verdict.due_at == verdict.ceiling_at
    # The warning comes at 75% of the 24h30 left, not at Monday 14:30 (75% of the working target).
    assert verdict.warn_at == vn(2026, 3, 7, 10, 22, 30)
    assert verdict.state == "warning"
    assert verdict.remaining == 4 * H + 30 * M

    breached = evaluate(friday, vn(2026, 3, 8, 9))
    assert breached.state == "breached"
    assert breached.overdue_by == 16 * H + 30 * M  # wall clock: Sunday counts

    late = evaluate(
        turn(
            vn(2026, 3, 6, 16),
            platform="facebook",
            last_citizen_at=vn(2026, 3, 6, 16, 30),
            responded_at=vn(2026, 3, 9, 8),
        ),
        vn(2026, 3, 9, 9),
    )
    assert late.state == "met_late"
    assert late.overdue_by == 39 * H + 30 * M


def test_reply_window_counts_from_the_last_citizen_message():
    early = turn(vn(2026, 3, 6, 16), platform="facebook")
    later = turn(vn(2026, 3, 6, 16), platform="facebook", last_citizen_at=vn(2026, 3, 7, 9))
    assert evaluate(early, vn(2026, 3, 6, 17)).due_at == vn(2026, 3, 7, 16)
    assert evaluate(later, vn(2026, 3, 6, 17)).due_at == vn(2026, 3, 8, 9)


def test_ceiling_does_not_apply_when_the_target_comes_first():
    verdict = evaluate(turn(vn(2026, 3, 2, 8), platform="facebook"), vn(2026, 3, 2, 9))
    assert verdict.ceiling_at == vn(2026, 3, 3, 8)
    assert verdict.due_at == vn(2026, 3, 3, 8)  # 24h wall before Tuesday 08:30 working
    assert evaluate(
        turn(vn(2026, 3, 2, 8), category="tip", platform="facebook"), vn(2026, 3, 2, 9)
    ).due_at == vn(2026, 3, 2, 12)


def test_tet_stops_the_working_clock():
    long_window = parse_sla_policy({"reply_window": {"zalo": "30d"}}, path="r")
    feedback = turn(vn(2026, 2, 12, 14), category="feedback")
    verdict = evaluate(feedback, vn(2026, 2, 20, 10), policy=long_window)
    # Thu 3h + Fri 7h30, Tết 16-20/2 and the weekends, then Mon 23/2 07:30 + 5h30.
    assert verdict.due_at == vn(2026, 2, 23, 15)
    assert verdict.warn_at == vn(2026, 2, 23, 9)
    assert verdict.state == "on_track"
    assert verdict.remaining == 5 * H + 30 * M


def test_zalo_window_runs_out_during_tet():
    feedback = turn(vn(2026, 2, 12, 14), category="feedback")
    verdict = evaluate(feedback, vn(2026, 2, 20, 10))
    assert verdict.due_at == vn(2026, 2, 19, 14)  # 7 days after the citizen's message
    assert verdict.warn_at == vn(2026, 2, 17, 20)  # 75% of those 7 days
    assert verdict.state == "breached"
    assert verdict.overdue_by == 20 * H


def test_makeup_saturday_is_a_working_day():
    # Friday 1h, then 7h on the make-up Saturday, or on Monday without it.
    friday = turn(vn(2026, 1, 9, 16), responded_at=vn(2026, 1, 10, 17))
    makeup = WorkingCalendar(makeup_working_days=frozenset({date(2026, 1, 10)}))
    on_makeup = evaluate(friday, vn(2026, 1, 12, 9), calendar=makeup)
    assert on_makeup.due_at == vn(2026, 1, 10, 16, 30)
    assert on_makeup.state == "met_late"
    assert on_makeup.overdue_by == 30 * M
    normal = evaluate(friday, vn(2026, 1, 12, 9))
    assert normal.due_at == vn(2026, 1, 12, 16, 30)
    assert normal.state == "met"


def test_swapped_saturday_from_the_holidays_package_counts():
    friday = turn(vn(2026, 8, 21, 16))
    assert evaluate(friday, vn(2026, 8, 21, 17)).due_at == vn(2026, 8, 22, 16, 30)


def test_unit_override_is_partial_and_only_for_that_unit():
    override = POLICY.target_for("question", "TH-SS")
    assert override == SlaTarget(4 * H, 8 * H, "working")
    assert POLICY.target_for("question", "TH-SS-BACSON") == SlaTarget(8 * H, 8 * H, "working")
    assert POLICY.target_for("tip", "TH-SS") == SlaTarget(4 * H, 8 * H, "wall")
    city = evaluate(turn(vn(2026, 3, 2, 8), unit="TH-SS"), vn(2026, 3, 2, 9))
    assert city.due_at == vn(2026, 3, 2, 14)
    follow_up = evaluate(turn(vn(2026, 3, 2, 8), unit="TH-SS", turn_no=2), vn(2026, 3, 2, 9))
    assert follow_up.due_at == vn(2026, 3, 3, 8, 30)


@pytest.mark.parametrize("category", ["abuse", "other", "spam"])
def test_categories_without_sla(category):
    verdict = evaluate(turn(vn(2026, 3, 2, 8), category=category), vn(2026, 3, 9))
    assert verdict.state == "no_sla"
    assert verdict.due_at is verdict.warn_at is verdict.ceiling_at is None
    assert verdict.overdue_by is verdict.remaining is None
    assert verdict.policy_version == POLICY.version


def test_unknown_platform_has_no_ceiling():
    verdict = evaluate(turn(vn(2026, 3, 6, 16), platform="sms"), vn(2026, 3, 6, 17))
    assert verdict.ceiling_at is None
    assert verdict.due_at == vn(2026, 3, 9, 16, 30)


def test_times_in_utc_give_the_same_verdict():
    in_utc = turn(vn(2026, 3, 2, 8).astimezone(UTC))
    assert evaluate(in_utc, vn(2026, 3, 2, 10).astimezone(UTC)) == evaluate(
        MONDAY_QUESTION, vn(2026, 3, 2, 10)
    )


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="aware"):
        evaluate(MONDAY_QUESTION, datetime(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="aware"):
        evaluate(turn(datetime(2026, 3, 2, 8)), vn(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="turn_no"):
        evaluate(turn(vn(2026, 3, 2, 8), turn_no=0), vn(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="last_citizen_at"):
        evaluate(turn(vn(2026, 3, 2, 8), last_citizen_at=vn(2026, 3, 2, 7)), vn(2026, 3, 2, 10))


# --- parse_sla_policy ----------------------------------------------------------------------------


def test_defaults_match_the_registry_values():
    without_overrides = yaml.safe_load(SECTION) | {"unit_overrides": {}}
    explicit = parse_sla_policy(without_overrides, path="r")
    default = parse_sla_policy(None, path="r")
    assert default == explicit
    assert default.version == explicit.version
    assert parse_sla_policy({}, path="r") == default


def test_shipped_registry_section_parses():
    raw = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    policy = parse_sla_policy(raw.get("sla"), path=REGISTRY)
    assert policy.target_for("question", "TH") is not None


def test_version_changes_with_the_policy_and_is_stable():
    assert POLICY.version == parse_sla_policy(yaml.safe_load(SECTION), path="other").version
    assert len(POLICY.version) == 12
    changed = yaml.safe_load(SECTION)
    changed["targets"]["tip"]["next_response"] = "9h"
    assert parse_sla_policy(changed, path="r").version != POLICY.version
    assert (
        parse_sla_policy({"warn_ratio": 0.8}, path="r").version
        != parse_sla_policy(None, path="r").version
    )


def test_targets_replace_defaults_and_reply_window_merges():
    policy = parse_sla_policy(
        {
            "targets": {"question": {"first_response": "2h", "clock": "wall"}},
            "reply_window": {"facebook": "12h"},
        },
        path="r",
    )
    # the urgent target is kept when `targets` does not name it: danger must jump the queue
    assert dict(policy.targets) == {
        "question": SlaTarget(2 * H, 2 * H, "wall"),
        "urgent": SlaTarget(15 * M, 15 * M, "wall"),
    }
    assert dict(policy.reply_window) == {"facebook": 12 * H, "zalo": timedelta(days=7)}
    assert policy.target_for("tip", "TH") is None


@pytest.mark.parametrize(
    ("raw", "key", "problem"),
    [
        ([], "sla", "mapping"),
        ({"warn_ration": 0.7}, "sla.warn_ration", "unknown key"),
        ({"warn_ratio": 0}, "sla.warn_ratio", "0 < warn_ratio <= 1"),
        ({"warn_ratio": 1.5}, "sla.warn_ratio", "0 < warn_ratio <= 1"),
        ({"warn_ratio": "0.75"}, "sla.warn_ratio", "number"),
        ({"warn_ratio": True}, "sla.warn_ratio", "number"),
        ({"reply_window": {"telegram": "24h"}}, "sla.reply_window.telegram", "unknown key"),
        ({"reply_window": {"zalo": "0h"}}, "sla.reply_window.zalo", "longer than zero"),
        ({"reply_window": ["24h"]}, "sla.reply_window", "mapping"),
        (
            {"targets": {"question": {"first_response": "eight", "clock": "working"}}},
            "sla.targets.question.first_response",
            "expected a duration like 8h, 30m or 2d, got 'eight'",
        ),
        (
            {"targets": {"question": {"first_response": 8, "clock": "working"}}},
            "sla.targets.question.first_response",
            "expected a duration",
        ),
        (
            {"targets": {"question": {"clock": "working"}}},
            "sla.targets.question.first_response",
            "required",
        ),
        (
            {"targets": {"question": {"first_response": "8h"}}},
            "sla.targets.question.clock",
            "required",
        ),
        (
            {"targets": {"question": {"first_response": "8h", "clock": "business"}}},
            "sla.targets.question.clock",
            "working or wall",
        ),
        (
            {"targets": {"question": {"first_response": "8h", "clock": "wall", "resolve": "2d"}}},
            "sla.targets.question.resolve",
            "unknown key",
        ),
        ({"targets": {"question": "8h"}}, "sla.targets.question", "mapping"),
        (
            {"unit_overrides": {"TH-SS": {"abuse": {"first_response": "1h"}}}},
            "sla.unit_overrides.TH-SS.abuse",
            "no default target",
        ),
        (
            {"unit_overrides": {"TH-SS": {"question": {"first_reply": "1h"}}}},
            "sla.unit_overrides.TH-SS.question.first_reply",
            "unknown key",
        ),
        (
            {"unit_overrides": {"TH-SS": {"question": {"next_response": "-1h"}}}},
            "sla.unit_overrides.TH-SS.question.next_response",
            "expected a duration",
        ),
    ],
)
def test_parse_rejects(raw, key, problem):
    with pytest.raises(ConfigError) as info:
        parse_sla_policy(raw, path="registry.yaml")
    assert info.value.key == key
    assert problem in info.value.problem
    assert info.value.path == "registry.yaml"


# --- a case waiting for a human's triage takes the strictest target of its candidates -----------


def test_candidates_take_the_strictest_target():
    monday = vn(2026, 3, 2, 8)
    plain = evaluate(turn(monday, category="feedback"), monday)
    assert plain.due_at == evaluate(turn(monday, category="feedback"), monday).due_at
    doubtful = SlaTurn(**{**turn(monday, category="feedback").__dict__, "candidates": ("tip",)})
    verdict = evaluate(doubtful, monday)
    assert verdict.due_at == monday + 4 * H  # the tip's 4 wall hours, not feedback's 16 working
    assert verdict.warn_at == monday + 3 * H
    loosest = SlaTurn(**{**turn(monday, category="tip").__dict__, "candidates": ("feedback",)})
    assert evaluate(loosest, monday).due_at == monday + 4 * H  # a looser candidate changes nothing


def test_a_category_without_sla_gets_one_from_its_candidates():
    monday = vn(2026, 3, 2, 8)
    assert evaluate(turn(monday, category="other"), monday).state == "no_sla"
    doubtful = SlaTurn(**{**turn(monday, category="other").__dict__, "candidates": ("lost_found",)})
    verdict = evaluate(doubtful, monday + 3 * H)
    assert (verdict.state, verdict.due_at) == ("breached", monday + 2 * H)


# --- an urgent case (danger now, any category) takes the urgent target ------------------------


def urgent(t: SlaTurn) -> SlaTurn:
    return SlaTurn(**{**t.__dict__, "urgent": True})


@pytest.mark.parametrize("category", ["lost_found", "feedback", "other", "tip", "question"])
def test_an_urgent_case_jumps_the_queue_whatever_its_category(category: str) -> None:
    """A missing child (lost_found), a plea read as feedback or chatter: 15 wall minutes."""
    sunday_night = vn(2026, 3, 1, 23)  # outside working hours: the wall clock still runs
    plain = evaluate(turn(sunday_night, category=category), sunday_night)
    verdict = evaluate(urgent(turn(sunday_night, category=category)), sunday_night)
    assert verdict.due_at == sunday_night + 15 * M
    assert plain.due_at is None or plain.due_at > verdict.due_at
    late = evaluate(urgent(turn(sunday_night, category=category)), sunday_night + 20 * M)
    assert (late.state, late.overdue_by) == ("breached", 5 * M)


def test_the_urgent_target_is_configurable_and_per_unit() -> None:
    policy = parse_sla_policy(
        {
            "targets": {
                "lost_found": {"first_response": "2h", "clock": "wall"},
                "urgent": {"first_response": "30m", "clock": "wall"},
            },
            "unit_overrides": {"TH-SS": {"urgent": {"first_response": "10m"}}},
        },
        path="r",
    )
    monday = vn(2026, 3, 2, 8)
    missing = urgent(turn(monday, category="lost_found"))
    assert evaluate(missing, monday, policy=policy).due_at == monday + 30 * M
    at_ss = SlaTurn(**{**missing.__dict__, "unit_code": "TH-SS"})
    assert evaluate(at_ss, monday, policy=policy).due_at == monday + 10 * M


def test_an_unknown_target_key_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        parse_sla_policy(
            {"targets": {"urgnet": {"first_response": "15m", "clock": "wall"}}}, path="r"
        )
    assert "sla.targets.urgnet" in str(info.value)
