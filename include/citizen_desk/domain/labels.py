"""The one Vietnamese wording of every enumerated value, shared by posts, Slack and the web."""

from __future__ import annotations

from collections.abc import Mapping

from citizen_desk.domain.vocabulary import (
    AccessRole,
    Category,
    CollectionErrorKind,
    ContactRole,
    DeskAction,
    Platform,
    PublicationStatus,
    SlaState,
    TipStatus,
    TriageModelStatus,
)

CATEGORY_LABELS: Mapping[str, str] = {
    Category.QUESTION: "Hỏi đáp thủ tục, pháp luật",
    Category.TIP: "Tin báo về an ninh, trật tự",
    Category.FEEDBACK: "Góp ý, phản ánh",
    Category.LOST_FOUND: "Thất lạc người, tài sản",
    Category.ABUSE: "Xúc phạm, quấy rối, spam",
    Category.OTHER: "Khác",
}
# Message counts by category: `tip` messages are not tips (one tip may span several messages),
# so their line never reads like the tip count ("tin báo").
MESSAGE_CATEGORY_LABELS: Mapping[str, str] = {
    **CATEGORY_LABELS,
    Category.TIP: "Tin nhắn báo tin về an ninh, trật tự",
}
CATEGORY_SHORT_LABELS: Mapping[str, str] = {  # chart axes
    Category.QUESTION: "Hỏi đáp",
    Category.TIP: "Tin báo",
    Category.FEEDBACK: "Góp ý",
    Category.LOST_FOUND: "Thất lạc",
    Category.ABUSE: "Vi phạm",
    Category.OTHER: "Khác",
}
TIP_STATUS_LABELS: Mapping[str, str] = {
    TipStatus.NEW: "mới",
    TipStatus.VERIFYING: "đang xác minh",
    TipStatus.VERIFIED: "đã xác minh, có cơ sở",
    TipStatus.UNFOUNDED: "không có cơ sở",
    TipStatus.FORWARDED: "đã chuyển cơ quan khác",
}
TIP_ACTION_LABELS: Mapping[str, str] = {
    "acknowledged": "đã xác nhận tiếp nhận",
    "verification_started": "bắt đầu xác minh",
    "verified": "xác minh có cơ sở",
    "unfounded": "kết luận không có cơ sở",
    "forwarded": "chuyển cơ quan khác",
    "extended": "gia hạn xác minh",
    "reassigned": "chuyển đơn vị xử lý",
    "public_outcome": "ghi kết quả công khai",
    "escalated": "tự động báo cáo cấp trên",
}
# the buttons of a tip alert (citizen_desk.notify.interactions)
SLACK_BUTTON_LABELS: Mapping[str, str] = {"ack": "Đã nhận", "open": "Mở hồ sơ"}
ROLE_LABELS: Mapping[str, str] = {
    ContactRole.DUTY_OFFICER: "trực ban",
    ContactRole.CHIEF: "lãnh đạo",
}
ACCESS_ROLE_LABELS: Mapping[str, str] = {
    AccessRole.VIEWER: "xem (đã che thông tin)",
    AccessRole.OFFICER: "cán bộ xử lý",
    AccessRole.CHIEF: "lãnh đạo đơn vị",
    AccessRole.PUBLICATION_APPROVER: "duyệt bài đăng",
    AccessRole.IDENTITY_CUSTODIAN: "quản lý danh tính người báo",
    AccessRole.TECHNICAL_ADMIN: "quản trị kỹ thuật",
}
DESK_ACTION_LABELS: Mapping[str, str] = {
    DeskAction.TIP_ACKNOWLEDGE: "xác nhận tiếp nhận tin báo",
    DeskAction.TIP_START: "bắt đầu xác minh tin báo",
    DeskAction.TIP_VERIFIED: "kết luận tin báo có cơ sở",
    DeskAction.TIP_UNFOUNDED: "kết luận tin báo không có cơ sở",
    DeskAction.TIP_FORWARD: "chuyển tin báo sang cơ quan khác",
    DeskAction.TIP_EXTEND: "gia hạn xác minh tin báo",
    DeskAction.TIP_REASSIGN: "chuyển tin báo cho đơn vị khác",
    DeskAction.TIP_OUTCOME: "ghi kết quả công khai của tin báo",
    DeskAction.IDENTITY_VIEW: "xem danh tính người gửi",
    DeskAction.PUBLICATION_APPROVE: "duyệt bài đăng kết quả tuần",
    DeskAction.PUBLICATION_EDIT: "sửa bài đăng kết quả tuần",
    DeskAction.TRIAGE_CORRECT: "sửa phân loại hồ sơ",
    DeskAction.TRIAGE_MODEL_CHAMPION: "chọn phiên bản mô hình phân loại đang dùng",
}
TRIAGE_MODEL_STATUS_LABELS: Mapping[str, str] = {
    TriageModelStatus.CHAMPION: "đang dùng",
    TriageModelStatus.CHALLENGER: "ứng viên, chưa dùng",
    TriageModelStatus.RETIRED: "đã thay",
}
# What the PII gate found (`privacy.redact.KINDS`), named to whoever must fix the text; never the
# finding itself. `too_long` is the publication's own check (a Facebook post under 5,000 chars).
PII_KIND_LABELS: Mapping[str, str] = {
    "email": "địa chỉ email",
    "url": "đường liên kết hoặc tài khoản mạng xã hội",
    "bank_account": "số tài khoản ngân hàng",
    "phone": "số điện thoại",
    "plate": "biển số xe",
    "cccd": "số căn cước công dân",
    "cmnd": "số chứng minh nhân dân",
    "address": "địa chỉ nhà",
    "name": "họ tên người dân",
    "too_long": "quá dài (bài Facebook phải dưới 5.000 ký tự)",
}
SLA_STATE_LABELS: Mapping[str, str] = {
    SlaState.BREACH: "Quá hạn",
    SlaState.WARNING: "Sắp đến hạn",
    SlaState.OK: "Trong hạn",
    SlaState.NONE: "Không tính hạn",
}
PLATFORM_LABELS: Mapping[str, str] = {Platform.FACEBOOK: "Facebook", Platform.ZALO: "Zalo OA"}
PUBLICATION_STATUS_LABELS: Mapping[str, str] = {
    PublicationStatus.DRAFT: "Bản nháp",
    PublicationStatus.BLOCKED: "Bị chặn",
    PublicationStatus.AWAITING_APPROVAL: "Chờ duyệt",
    PublicationStatus.APPROVED: "Đã duyệt",
    PublicationStatus.REJECTED: "Bị từ chối",
    PublicationStatus.PUBLISHING: "Đang đăng",
    PublicationStatus.PUBLISHED: "Đã đăng",
    PublicationStatus.DRY_RUN: "Chạy thử",
    PublicationStatus.FAILED: "Lỗi khi đăng",
}
COLLECTION_ERROR_LABELS: Mapping[str, str] = {
    CollectionErrorKind.TOKEN: "Token hết hạn hoặc không hợp lệ",
    CollectionErrorKind.RATE_LIMIT: "Bị giới hạn tần suất gọi API",
    CollectionErrorKind.OTHER: "Lỗi khác",
}


def category_label(category: str | None) -> str:
    """The category's label; "—" when the case is not triaged yet."""
    return CATEGORY_LABELS.get(category or "", category or "—")


# What a notification is, in a digest or catch-up summary (`notifications.kind`).
NOTIFICATION_KIND_LABELS: Mapping[str, str] = {
    "tip_urgent": "Tin báo khẩn",
    "tip_arrival": "Tin báo mới",
    "tip_escalation": "Báo cáo vượt cấp",
    "tip_reminder": "Nhắc lại",
    "sla_warning": "Sắp đến hạn trả lời",
    "sla_breach": "Quá hạn trả lời",
    "tip_digest": "Tổng hợp tin báo",
    "sla_digest": "Tổng hợp hạn trả lời",
}
OTHER_NOTIFICATION_LABEL = "Thông báo khác"


def notification_kind_label(kind: str | None) -> str:
    return NOTIFICATION_KIND_LABELS.get(kind or "", OTHER_NOTIFICATION_LABEL)


def tip_level_label(level: int, urgent: bool = False) -> str:
    """A tip's escalation level, as counted in a catch-up summary (urgent tips marked)."""
    label = "Tiếp nhận (cấp 0)" if level <= 0 else f"Báo cáo cấp {level}"
    return f"KHẨN · {label}" if urgent else label
