"""The pure catch-up and coalescing policy (`citizen_desk.domain.catchup`), under hostile input."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizen_desk.domain.catchup import (
    LADDER_KINDS,
    Candidate,
    CatchUpPolicy,
    Due,
    coalesce,
    is_fresh,
    plan_catch_up,
)

NOW = datetime(2026, 11, 23, 3, tzinfo=UTC)
KINDS = ("arrival", "escalation", "reminder", "urgent", "warning", "breach")

candidate_lists = st.lists(
    st.builds(
        lambda n, subject, level, kind, urgent, age: (subject, level, kind, urgent, age, n),
        st.integers(0, 10**6),
        st.integers(0, 6),
        st.integers(0, 4),
        st.sampled_from(KINDS),
        st.booleans(),
        st.integers(-3600, 30 * 24 * 3600),  # seconds before now (a what-if may be ahead)
    ),
    max_size=60,
).map(
    lambda raw: [
        Candidate(
            f"k{index}:{n}",
            subject,
            level,
            kind,
            urgent,
            NOW - timedelta(seconds=age),
        )
        for index, (subject, level, kind, urgent, age, n) in enumerate(raw)
    ]
)
policies = st.builds(
    CatchUpPolicy,
    fresh_within=st.one_of(
        st.none(), st.integers(60, 3 * 24 * 3600).map(lambda s: timedelta(seconds=s))
    ),
    digest_after=st.integers(1, 20),
)


@given(candidate_lists, policies)
def test_every_alert_has_exactly_one_fate(candidates, policy) -> None:
    plan = plan_catch_up(candidates, now=NOW, policy=policy)
    fates = [*plan.individual, *plan.summarised, *plan.skipped]
    assert sorted(c.key for c in fates) == sorted(c.key for c in candidates)
    assert set(plan.reasons) == {c.key for c in [*plan.summarised, *plan.skipped]}


@given(candidate_lists, policies)
def test_urgent_alerts_are_never_skipped_and_fresh_ones_go_out_by_themselves(
    candidates, policy
) -> None:
    plan = plan_catch_up(candidates, now=NOW, policy=policy)
    individual = {c.key for c in plan.individual}
    summarised = {c.key for c in plan.summarised}
    for c in candidates:
        if c.kind != "urgent":
            continue
        fresh = policy.fresh_within is None or c.due_at >= NOW - policy.fresh_within
        assert c.key in (individual if fresh else summarised)


@given(candidate_lists, policies)
def test_at_most_one_message_per_item_besides_urgent_and_never_a_stale_one(
    candidates, policy
) -> None:
    plan = plan_catch_up(candidates, now=NOW, policy=policy)
    if policy.fresh_within is None:  # catch-up off: the ladder as it was
        assert set(plan.individual) == set(candidates)
        return
    shown = [c for c in [*plan.individual, *plan.summarised] if c.kind != "urgent"]
    per_subject = Counter(c.subject for c in shown)
    assert all(n <= 1 for n in per_subject.values()), per_subject
    for c in plan.individual:
        assert c.due_at >= NOW - policy.fresh_within
    for c in plan.summarised:
        assert c.due_at < NOW - policy.fresh_within


@given(candidate_lists, policies)
def test_the_one_message_is_at_the_items_current_level(candidates, policy) -> None:
    plan = plan_catch_up(candidates, now=NOW, policy=policy)
    if policy.fresh_within is None:
        return
    by_subject = defaultdict(list)
    for c in candidates:
        by_subject[c.subject].append(c)
    for c in [*plan.individual, *plan.summarised]:
        if c.kind == "urgent":
            continue
        ladder = [o for o in by_subject[c.subject] if o.kind in LADDER_KINDS]
        if c.kind == "reminder":  # a reminder only when no level is announced in this sweep
            assert not ladder
        elif c.kind in LADDER_KINDS:
            assert c.level == max(o.level for o in ladder)


@given(candidate_lists, policies)
def test_every_item_with_alerts_is_told_once_somewhere(candidates, policy) -> None:
    """Nothing silently vanishes: each item is in a message or in a summary."""
    plan = plan_catch_up(candidates, now=NOW, policy=policy)
    told = {c.subject for c in [*plan.individual, *plan.summarised]}
    assert told == {c.subject for c in candidates}


def test_steady_state_is_unchanged() -> None:
    """Hourly sweeps: each item's one new alert is fresh and goes out as before."""
    policy = CatchUpPolicy()
    fresh = [
        Candidate("a", 1, 1, "escalation", False, NOW - timedelta(minutes=50)),
        Candidate("b", 2, 2, "reminder", False, NOW - timedelta(minutes=5)),
        Candidate("c", 3, 0, "breach", False, NOW),
    ]
    assert plan_catch_up(fresh, now=NOW, policy=policy).individual == tuple(fresh)


def test_a_tip_ten_days_old_gets_one_summary_line_not_five_messages() -> None:
    received = NOW - timedelta(days=10)
    alerts = [
        Candidate("L0", 7, 0, "arrival", False, received),
        Candidate("L1", 7, 1, "escalation", False, received + timedelta(hours=24)),
        Candidate("L2", 7, 2, "escalation", False, received + timedelta(hours=48)),
        Candidate("L3", 7, 3, "escalation", False, received + timedelta(hours=96)),
        Candidate("R19", 7, 3, "reminder", False, NOW - timedelta(minutes=30)),
    ]
    plan = plan_catch_up(alerts, now=NOW, policy=CatchUpPolicy())
    assert plan.individual == ()
    assert [c.key for c in plan.summarised] == ["L3"]
    assert {c.key for c in plan.skipped} == {"L0", "L1", "L2", "R19"}


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_fresh(datetime(2026, 1, 1), NOW, CatchUpPolicy())
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_catch_up([], now=datetime(2026, 1, 1), policy=CatchUpPolicy())


due_rows = st.lists(
    st.builds(
        Due,
        st.integers(1, 10**6),
        st.sampled_from(["U1", "U2", "C3"]),
        st.integers(0, 5),
        st.sampled_from(["tip_escalation", "sla_breach", "tip_digest", "admin_alert"]),
    ),
    max_size=300,
    unique_by=lambda d: d.id,
)


@given(due_rows, st.integers(1, 10), st.integers(2, 50))
def test_coalesce_groups_only_the_crowded_non_urgent_recipients(rows, after, max_items) -> None:
    never = frozenset({"tip_digest"})
    digests = coalesce(rows, digest_after=after, min_lane=2, never=never, max_items=max_items)
    covered = [i for _, ids in digests for i in ids]
    assert len(covered) == len(set(covered))  # a row is in one digest at most
    by_id = {r.id: r for r in rows}
    eligible = Counter(r.recipient for r in rows if r.lane >= 2 and r.kind not in never)
    for recipient, ids in digests:
        assert len(ids) <= max_items
        for i in ids:
            row = by_id[i]
            assert row.recipient == recipient
            assert row.lane >= 2  # urgent lanes never
            assert row.kind not in never
    for recipient, n in eligible.items():
        sizes = [len(ids) for r, ids in digests if r == recipient]
        assert sum(sizes) == (n if n > after else 0)
        assert len(sizes) == (-(-n // max_items) if n > after else 0)  # as few as fit
        assert not sizes or max(sizes) - min(sizes) <= 1  # never a stray leftover of one
