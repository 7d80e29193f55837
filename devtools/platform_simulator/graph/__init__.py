"""Facebook Graph API: pages, Messenger conversations, posts, comments, insights, Send API.

`api.GraphApi` checks the token and the page, then dispatches on (node kind, method, edge) to
the handlers each resource module registers: `pages`, `conversations`, `messages` (with the
Send API), `posts` (feed and publishing), `comments`, `insights`. `core` renders nodes and lists
edges for all of them, `paging` builds cursors and links, `auth` answers for Page tokens,
`limits` and `responses` shape what every answer carries.
"""

from platform_simulator.graph.api import GraphApi
from platform_simulator.graph.core import ABSENT, DEFAULT_FIELDS, NODE_TYPES
from platform_simulator.graph.errors import GraphError, bad_param, outside_window, unknown_object
from platform_simulator.graph.paging import (
    Slice,
    cursor_slice,
    decode_cursor,
    encode_cursor,
    parse_bool,
    parse_limit,
)
from platform_simulator.graph.request import Ctx

__all__ = [
    "ABSENT",
    "DEFAULT_FIELDS",
    "NODE_TYPES",
    "Ctx",
    "GraphApi",
    "GraphError",
    "Slice",
    "bad_param",
    "cursor_slice",
    "decode_cursor",
    "encode_cursor",
    "outside_window",
    "parse_bool",
    "parse_limit",
    "unknown_object",
]
