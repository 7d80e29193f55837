"""Graph API errors: the exception and the error shapes the handlers raise."""

from __future__ import annotations

from typing import Any


class GraphError(Exception):
    """A Graph API error response."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        type_: str = "OAuthException",
        subcode: int | None = None,
        transient: bool = False,
        user_title: str | None = None,
        user_msg: str | None = None,
        usage: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.type = type_
        self.subcode = subcode
        self.transient = transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.usage = usage  # header overrides: {"buc": {...}, "app": {...}}


def unknown_object(object_id: str, method: str) -> GraphError:
    verb = "post" if method == "POST" else ("delete" if method == "DELETE" else "get")
    return GraphError(
        400,
        100,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        type_="GraphMethodException",
        subcode=33,
    )


def unknown_path(components: str) -> GraphError:
    return GraphError(400, 2500, f"Unknown path components: /{components}")


def bad_param(message: str, subcode: int | None = None) -> GraphError:
    return GraphError(400, 100, message, subcode=subcode)


def outside_window() -> GraphError:
    return GraphError(
        400,
        10,
        "(#10) This message is sent outside of allowed window. Learn more about the new "
        "policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
        subcode=2018278,
    )
