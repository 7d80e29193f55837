"""Read citizens' comments under the page's recent posts.

`/{page-id}/published_posts?since=` lists the posts of the last `post_lookback` (comments keep
coming for days after a post), each with its newest comments expanded in stream order
(`comments.filter(stream).order(reverse_chronological)`, replies flattened with `parent`). A post
whose `updated_time` is older than `bounds.since` has nothing new and costs nothing more; the
comment paging is followed only when the expanded page does not reach back to `bounds.since`.
Pages are the largest Graph serves (`limit` 100, posts and expanded comments alike).

Thread key = the top-level comment id (Facebook threads are one level deep). A page reply under a
comment (`parent.id` = the comment, `from.id` = the page) answers it; so does a private reply
(`private_reply_conversation` on the top-level comment), recorded in `private_replies`.
Comments on posts older than `post_lookback` are not seen (documented limit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from citizen_desk.collect.messenger import Pager
from citizen_desk.collect.records import (
    Bounds,
    Invalid,
    Item,
    SourceBatch,
    graph_time,
    optional_text,
    person,
    require_str,
    storable,
)
from citizen_desk.platforms.graph import MAX_LIMIT, MalformedPage

SOURCE = "comments"
COMMENT_FIELDS = (
    "id,message,from,created_time,parent{id},permalink_url,private_reply_conversation{id}"
)
DEFAULT_POST_LOOKBACK = timedelta(days=30)


def post_fields(comments_per_page: int) -> str:
    return (
        "id,created_time,updated_time,"
        f"comments.filter(stream).order(reverse_chronological).limit({comments_per_page})"
        f"{{{COMMENT_FIELDS}}}"
    )


def comment_item(payload: Mapping[str, Any], page_id: str) -> Item:
    """A comment as an `Item`. A comment without `from` (privacy) counts as a citizen's."""
    comment_id = require_str(payload, "id", "comment")
    created = graph_time(payload, "created_time", "comment")
    text = optional_text(payload, "message", "comment")
    author_id: str | None = None
    author_name: str | None = None
    if payload.get("from") is not None:
        author_id, author_name = person(payload, "from", "comment")
    parent = payload.get("parent")
    parent_id: str | None = None
    if parent is not None:
        if not isinstance(parent, Mapping) or not isinstance(parent.get("id"), str):
            raise Invalid("comment: parent.id missing or not a string")
        parent_id = parent["id"]
    from_page = author_id == page_id
    item = Item(
        platform_message_id=comment_id,
        kind="comment",
        thread_key=parent_id or comment_id,
        direction="out" if from_page else "in",
        created_at=created,
        text=text,
        raw=dict(payload),
        citizen_user_id=None if from_page else author_id,
        citizen_name=None if from_page else author_name,
        parent_platform_id=parent_id,
    )
    return storable(item, "comment")


def _private_reply(payload: Mapping[str, Any]) -> str | None:
    if payload.get("parent") is not None:
        return None
    conversation = payload.get("private_reply_conversation")
    if isinstance(conversation, Mapping) and isinstance(conversation.get("id"), str):
        return str(conversation["id"])
    return None


def read_comments(
    client: Pager,
    page_id: str,
    bounds: Bounds,
    *,
    post_lookback: timedelta = DEFAULT_POST_LOOKBACK,
    page_size: int = MAX_LIMIT,
    comments_per_page: int = MAX_LIMIT,
    on_item: Callable[[Item], None] | None = None,
) -> SourceBatch:
    """Comments newer than `bounds.since` under posts of the last `post_lookback` (all if None);
    `on_item` is told of each item as it is read (`SourceBatch.on_item`)."""
    batch = SourceBatch(SOURCE, on_item=on_item)
    params: dict[str, Any] = {"fields": post_fields(comments_per_page), "limit": page_size}
    if bounds.since is not None:
        params["since"] = int((bounds.since - post_lookback).timestamp())
    for post in client.paginate(f"{page_id}/published_posts", params):
        if not isinstance(post, dict) or not isinstance(post.get("id"), str):
            batch.reject("post: missing id", post)
            continue
        expanded = post.get("comments")
        if expanded is None:
            continue
        if not isinstance(expanded, dict):
            batch.reject("post: comments is not an object", post)
            continue
        if not isinstance(expanded.get("data"), list):
            batch.reject("post: comments.data is not a list", post)
            continue
        _private_replies(expanded, batch)
        try:
            updated = graph_time(post, "updated_time", "post") if post.get("updated_time") else None
        except Invalid:
            updated = None  # unknown: read the comments to be safe
        if updated is not None and bounds.too_old(updated):
            continue
        try:
            _read_comments(client, expanded, page_id, bounds, batch)
        except MalformedPage:
            batch.reject("post: a comments page's data is not a list", post)
    return batch


def _private_replies(expanded: dict[str, Any], batch: SourceBatch) -> None:
    """Private replies visible on the already fetched first page (even on older comments)."""
    data = expanded.get("data")
    for payload in data if isinstance(data, list) else []:
        if isinstance(payload, dict) and isinstance(payload.get("id"), str):
            conversation = _private_reply(payload)
            if conversation:
                batch.private_replies[payload["id"]] = conversation


def _read_comments(
    client: Pager, expanded: dict[str, Any], page_id: str, bounds: Bounds, batch: SourceBatch
) -> None:
    for payload in client.follow(expanded):
        if not isinstance(payload, dict):
            batch.reject("comment: not an object", payload)
            continue
        try:
            item = comment_item(payload, page_id)
        except Invalid as exc:
            batch.reject(str(exc), payload)
            continue
        if bounds.too_old(item.created_at):
            return  # reverse chronological
        batch.see(item.created_at)
        conversation = _private_reply(payload)
        if conversation:
            batch.private_replies[item.platform_message_id] = conversation
        if not bounds.too_new(item.created_at):
            batch.add(item)
