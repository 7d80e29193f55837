"""The Citizen Desk pages inside the Airflow UI (FastAPI app mounted by `plugins/`)."""

from __future__ import annotations
