"""Airflow plugin: the Citizen Desk pages, mounted in the api-server under /citizen-desk.

Thin on purpose: the app lives in `citizen_desk.web`. `external_views` with `url_route` puts a
top-level entry in the Airflow UI's navigation that renders the page in an iframe at
`/plugin/citizen-desk`. Airflow does not protect plugin apps: every route of this app checks the
Airflow login itself (`citizen_desk.web.auth.require_user`).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from citizen_desk.web.app import URL_PREFIX, create_app, nav_href

_HREF = nav_href()


class CitizenDeskPlugin(AirflowPlugin):
    name = "citizen_desk"
    fastapi_apps = [  # noqa: RUF012 - the plugin interface is class attributes
        {"app": create_app(), "url_prefix": URL_PREFIX, "name": "Citizen Desk"},
    ]
    external_views = [  # noqa: RUF012
        {
            "name": "Citizen Desk",
            "href": _HREF,
            "url_route": "citizen-desk",
            "destination": "nav",
            "nav_top_level": True,
            "icon": f"{_HREF}static/icon.svg",
        },
    ]
