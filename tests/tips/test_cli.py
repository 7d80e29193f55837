"""`python -m citizen_desk tips …` through citizen_desk.cli.main, as an officer would use it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from citizen_desk.cli import main
from citizen_desk.db.models import Tip
from tests.conftest import NOW
from tests.tips import seed

H = timedelta(hours=1)


@pytest.fixture
def cli(tip_engine, capsys):
    url = tip_engine.url.render_as_string(hide_password=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["tips", *args, "--url", url])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def seeded(tip_engine):
    with sessionmaker(tip_engine, expire_on_commit=False)() as session:
        ids = {
            "canary": seed.add_canary_tip(session, received_at=NOW - 30 * H).id,
            "urgent": seed.add_tip(session, received_at=NOW - 2 * H, urgent=True).id,
            "bacson": seed.add_tip(session, channel_key="fb-th-ss-bacson", received_at=NOW).id,
        }
        session.commit()
    return ids


def status(tip_engine, tip_id: int) -> str:
    with sessionmaker(tip_engine)() as session:
        return session.get(Tip, tip_id).status


def test_list_and_show(cli, seeded):
    code, out, err = cli("list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "HỒ", "SƠ", "TRẠNG", "THÁI", "CẤP", "ĐÃ", "CHỜ", "ĐƠN", "VỊ",
                                "LĨNH", "VỰC"]  # fmt: skip
    assert f"{seeded['urgent']}  " in lines[1]  # urgent first
    assert "KHẨN" in lines[1]
    assert "3 tin báo." in out
    code, out, _ = cli("list", "--unit", "TH-SS-BACSON")
    assert code == 0
    assert "1 tin báo." in out
    code, out, _ = cli("show", str(seeded["canary"]))
    assert code == 0
    assert f"Tin báo #{seeded['canary']} - hồ sơ CD-" in out
    assert "Công an xã Nga Thủy (TH-NS-NGATHUY)" in out
    assert "Trạng thái:        mới" in out
    assert "[SĐT]" in out
    for canary in seed.CANARIES:
        assert canary not in out


def test_actions_walk_a_tip_through_the_workflow(cli, seeded, tip_engine):
    tip = str(seeded["canary"])
    code, out, err = cli("ack", tip, "--as", "do.ngathuy", "--note", "đã nhận")
    assert (code, err) == (0, "")
    assert "Đã ghi: đã xác nhận tiếp nhận" in out
    code, out, _ = cli("start", tip, "--as", "do.ngathuy")
    assert code == 0
    assert "Trạng thái:        đang xác minh" in out
    code, out, _ = cli("extend", tip, "--as", "chief", "--by", "5d", "--reason", "chờ giám định")
    assert code == 0
    assert "gia hạn xác minh" in out
    code, out, _ = cli("reassign", tip, "--as", "chief", "--unit", "TH-NS-NGATAN")
    assert code == 0
    assert "(TH-NS-NGATAN)" in out
    code, out, _ = cli("forward", tip, "--as", "chief", "--to", "Cơ quan CSĐT Công an tỉnh")
    assert code == 0
    assert status(tip_engine, seeded["canary"]) == "forwarded"
    code, out, _ = cli("outcome", tip, "--as", "chief", "--text", "Đã chuyển cơ quan điều tra.")
    assert code == 0
    code, out, _ = cli("show", tip)
    history = out[out.index("Lịch sử:") :]
    for label in (
        "đã xác nhận tiếp nhận",
        "bắt đầu xác minh",
        "gia hạn xác minh",
        "chuyển đơn vị xử lý",
        "chuyển cơ quan khác",
        "ghi kết quả công khai",
    ):
        assert label in history
    assert "cấp 0 (TH-NS-NGATHUY): do.ngathuy" in out  # the unit it was with when acknowledged
    code, out, _ = cli("list")
    assert "2 tin báo." in out  # the forwarded tip is closed
    code, out, _ = cli("list", "--all")
    assert "3 tin báo." in out


def test_verify_and_unfounded(cli, seeded, tip_engine):
    assert cli("verify", str(seeded["urgent"]), "--as", "a")[0] == 0
    assert status(tip_engine, seeded["urgent"]) == "verified"
    assert cli("unfounded", str(seeded["bacson"]), "--as", "b", "--note", "không có")[0] == 0
    assert status(tip_engine, seeded["bacson"]) == "unfounded"


def test_illegal_transition_exits_2_with_a_message(cli, seeded, tip_engine):
    tip = str(seeded["urgent"])
    assert cli("forward", tip, "--as", "a", "--to", "VKSND")[0] == 0
    code, out, err = cli("verify", tip, "--as", "b")
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: tip {tip} (CD-")
    assert "already forwarded" in err
    assert "đã kết thúc" in err
    assert status(tip_engine, seeded["urgent"]) == "forwarded"


@pytest.mark.parametrize(
    "args",
    [
        ("show", "999"),
        ("ack", "999", "--as", "a"),
        ("verify", "999", "--as", "a"),
        ("reassign", "999", "--as", "a", "--unit", "TH"),
    ],
)
def test_unknown_id_exits_2(cli, seeded, args):
    code, out, err = cli(*args)
    assert (code, out) == (2, "")
    assert "unknown tip 999" in err


def test_other_errors_exit_2(cli, seeded):
    tip = str(seeded["canary"])
    code, _, err = cli("extend", tip, "--as", "a", "--by", "soon", "--reason", "x")
    assert code == 2
    assert "--by: expected a duration" in err
    code, _, err = cli("reassign", tip, "--as", "a", "--unit", "TH-NOPE")
    assert (code, "unknown unit 'TH-NOPE'" in err) == (2, True)
    code, _, err = cli("list", "--unit", "TH-NOPE")
    assert code == 2
    code, _, err = cli("start", tip, "--as", "a")
    code, _, err = cli("outcome", tip, "--as", "a", "--text", "x")
    assert code == 2
    assert "needs a closed tip" in err


@pytest.mark.parametrize("action", ["ack", "start", "verify", "unfounded", "outcome"])
def test_actions_require_as(cli, seeded, capsys, action):
    with pytest.raises(SystemExit) as info:
        cli(action, str(seeded["canary"]))
    assert info.value.code == 2
    assert "--as" in capsys.readouterr().err
