"""The gate's shortcuts over a batch: values of ours judged by their shape, a seam's window and a
message judged once, strings searched only for the forms they hold. Each gives the verdict the
engine gives: nothing slips through them."""

from __future__ import annotations

import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from citizen_desk.notify.gate import (
    CLEAN_SHAPES,
    FIELD_MARK,
    Memo,
    _alnum,
    _forms,
    _occurring,
    _set_apart,
    gate_kinds,
    of_clean_shape,
)
from citizen_desk.privacy import contains_pii
from citizen_desk.privacy.canonical import canonicalise

DIGITS = "0123456789"
REFERENCES = st.text(DIGITS, min_size=6, max_size=8).map(lambda d: f"CD-{d}")
KEYS = st.builds(
    "tip:{}:L{}:{}:{}".format,
    st.integers(min_value=1, max_value=99_999_999),
    st.integers(min_value=0, max_value=9),
    st.sampled_from(["arrival", "escalation", "reminder"]),
    st.integers(min_value=0, max_value=99),
)


# --- the shapes: the engine finds nothing in any value of them ----------------------------------


@settings(max_examples=600, deadline=None)
@given(value=st.one_of(REFERENCES, KEYS))
@example(value="CD-000000")
@example(value="CD-99999999")
@example(value="CD-09123456")  # a phone's first eight digits
@example(value="CD-84912345")
@example(value="CD-02433123")  # a Hanoi landline's first digits
@example(value="tip:99999999:L9:reminder:99")
@example(value="tip:91234567:L0:arrival:0")
def test_the_engine_finds_nothing_in_a_value_of_a_clean_shape(value: str) -> None:
    assert of_clean_shape(value)
    assert contains_pii(value) == []
    # the gate looks for the case's names in the value in lower case: its canonical text
    assert canonicalise(value).text == value.lower()


def test_every_reference_of_six_to_eight_digits_in_a_sample_of_each_leading_digit() -> None:
    rng = random.Random(21)
    for first in DIGITS:
        for size in (6, 7, 8):
            for _ in range(40):
                value = "CD-" + first + "".join(rng.choice(DIGITS) for _ in range(size - 1))
                assert of_clean_shape(value), value
                assert contains_pii(value) == [], value


def test_longer_ids_are_not_of_a_clean_shape_and_the_engine_judges_them() -> None:
    # 9 and 12 digits read as identity card numbers: left to the engine, which refuses them
    for value, kind in (("CD-338492999", "cmnd"), ("CD-556387093744", "cccd")):
        assert not of_clean_shape(value)
        assert kind in gate_kinds([f"Hồ sơ {value}"], [], (), "t", Memo(), ours=[value])


@given(
    value=st.sampled_from(
        [
            "CD-0912345678",  # a phone
            "CD-091234567",
            "CD-０９１２３４５６",  # full-width digits, which the engine reads as digits
            "CD-٠٩١٢٣٤٥٦",  # Arabic-Indic digits
            "CD-12345678\n",
            " CD-12345678",
            "CD-1234567 8",
            "cd-12345678",
            "tip:0912345678:L1:escalation:0",
            "tip:1:L1:urgent:0",
            "tip:12:L10:escalation:0",
            "tip:12:L1:escalation:100",
            "tip:12:L1:escalation:0 0912 345 678",
        ]
    )
)
def test_a_value_that_only_looks_like_ours_is_not_of_a_clean_shape(value: str) -> None:
    assert not of_clean_shape(value)


@settings(max_examples=200, deadline=None)
@given(
    digits=st.text(DIGITS, min_size=1, max_size=14),
    prefix=st.sampled_from(["CD-", "tip:", "CD-0", "tip:1:L1:escalation:"]),
    suffix=st.sampled_from(["", " ", "\n", "x", "0"]),
)
def test_a_value_of_a_clean_shape_is_judged_by_the_engine_s_verdict(
    digits: str, prefix: str, suffix: str
) -> None:
    """Whatever a value of ours holds, the gate's verdict on it alone is the engine's: a shape
    that matches is one the engine finds nothing in; anything else goes to the engine."""
    value = prefix + digits + suffix
    if len(value.strip()) < 4:
        return
    alone = {f.kind for f in contains_pii(value)}
    judged = gate_kinds([FIELD_MARK], [], (), "t", Memo(), ours=[value])
    assert judged == alone, value


def test_the_case_s_own_names_are_still_looked_for_in_a_value_of_a_clean_shape() -> None:
    # a protected name that is all digits (a platform id) and occurs in our reference
    ref = "CD-80000107"
    assert of_clean_shape(ref)
    assert gate_kinds([f"Hồ sơ {ref}"], [], ("80000107",), "t", Memo(), ours=[ref]) == {"name"}
    assert gate_kinds([f"Hồ sơ {ref}"], [], ("80000108",), "t", Memo(), ours=[ref]) == set()


@settings(max_examples=150, deadline=None)
@given(
    ref=REFERENCES,
    wording=st.sampled_from([" 345 678", "345678", ".345.678", " - 0912 345 678", " gọi 0912"]),
)
def test_digits_running_on_from_a_value_of_a_clean_shape_are_found(ref: str, wording: str) -> None:
    whole = f"Hồ sơ {ref}{wording} nhé"
    cut = len("Hồ sơ ") + len(ref)
    straddling = {f.kind for f in contains_pii(whole) if f.start < cut < f.end}
    assert straddling <= gate_kinds([whole], [], (), "t", Memo(), ours=[ref])


# --- a batch's memo: the same verdicts as judging each message afresh ----------------------------

WORDS = ["chi", "Mai", "o", "xom", "Trần", "Văn", "Bình", "gọi", "0912", "345", "678", "số", "nhà"]
NAMES = st.lists(st.sampled_from(["Trần Văn Bình", "chi mai", "0912345678", "Mai"]), max_size=2)


@settings(max_examples=120, deadline=None)
@given(
    messages=st.lists(
        st.tuples(
            st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join),  # excerpt
            st.sampled_from(["08:30 22/11/2026", "1 ngày 1 giờ", "CD-80000107", "Công an xã Nga"]),
            st.sampled_from(["Tiếp nhận: ", "Gọi ", "> ", "Trực ban "]),
            NAMES,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_batch_memo_changes_no_verdict(messages: list[tuple[str, str, str, list[str]]]) -> None:
    """Messages of other cases share a memo: windows, values and wording judged once each; a
    case whose name occurs in a window already judged for another case is judged again."""
    memo = Memo()
    for excerpt, value, wording, names in messages * 2:
        strings = [f"{wording}{value} ({value})\n> {excerpt}", "section", f"{value}"]
        fresh = gate_kinds(strings, [excerpt], names, "t", None, [value])
        assert gate_kinds(strings, [excerpt], names, "t", memo, [value]) == fresh


def test_a_window_judged_for_one_case_is_judged_again_where_the_next_case_s_name_occurs() -> None:
    # a nickname only the case's names reveal, straddling our wording and the citizen's text:
    # neither part alone holds it, only the seam's window does
    memo = Memo()
    strings, fields = ["Người báo: bé mèo con đã gọi"], ["con đã gọi"]
    assert gate_kinds(strings, fields, (), "t", memo) == set()
    assert memo.windows  # the seam's window was kept
    assert gate_kinds(strings, fields, ("bé mèo con",), "t", memo) == {"name"}
    assert gate_kinds(strings, fields, ("bé mèo con",), "t", None) == {"name"}


# --- the forms searched only in the strings that hold them ---------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    strings=st.lists(st.text("ab c\x00[…]", max_size=12), max_size=6),
    values=st.lists(st.text("ab c[…]", min_size=1, max_size=5), max_size=4),
)
def test_the_strings_holding_no_form_are_set_apart_as_they_are(
    strings: list[str], values: list[str]
) -> None:
    forms = _forms(values)
    hit = _occurring(strings, forms)
    for index, value in enumerate(strings):
        expected = _set_apart(value, forms, set(forms[:1]))
        if index in hit:
            held = hit[index]
            assert held == [f for f in forms if f in held]  # in the order of `forms`, once each
            assert _set_apart(value, held, set(forms[:1])) == expected
        else:
            assert expected == (value, {})


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=6))
def test_a_letter_or_digit_is_what_isalnum_calls_one(text: str) -> None:
    assert _alnum(text) == any(ch.isalnum() for ch in text)


def test_the_shapes_are_ascii_digits_only() -> None:
    for shape in CLEAN_SHAPES:
        assert r"\d" not in shape.pattern  # \d would take any script's digits
