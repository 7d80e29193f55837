"""The Zalo token pair of each OA, kept encrypted in `platform_tokens`.

Zalo access tokens live ~25 h and every refresh rotates the single-use refresh token, so the pair
is shared state that must never be lost or used twice:

- Refreshes of one OA are serialised: PostgreSQL `SELECT ... FOR UPDATE` on the OA's row; SQLite
  takes its database write lock for the transaction. After taking the lock the row is read again:
  if another worker already rotated the pair, its fresh token is used and no refresh happens.
- The new pair is written and COMMITTED from inside the HTTP layer (a `requests` response hook in
  `platforms.zalo.refresh_access_token`) before the refresh call even returns, i.e. before any of
  our code can fail; only then is the access token used.
- Tokens are encrypted with the Fernet key of connection `citizen_desk_secrets` and never logged.

Remaining window, honestly: if the process dies (or the network drops) after Zalo rotated the
pair but before that commit — while the response is in flight or during the one UPDATE+COMMIT —
the new pair is lost and the old refresh token is dead. The next run then gets `TokenError`, the
technical admins are notified, and someone must re-authorize the OA (or paste a new refresh token
into the connection's `refresh_token` extra: it is tried once when the stored one is refused).
While the refresh runs on SQLite, other writers wait for the lock (bounded by the HTTP timeout).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from citizen_desk.collect.channels import insert
from citizen_desk.db.models import PlatformToken
from citizen_desk.errors import ConfigError, TokenError
from citizen_desk.platforms.zalo import TokenPair, refresh_access_token

log = logging.getLogger(__name__)

SECRETS_CONN_ID = "citizen_desk_secrets"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Refresher = Callable[..., TokenPair]


def fernet_from_connection(conn_id: str = SECRETS_CONN_ID) -> Fernet:
    """The Fernet key in the password of Airflow connection `conn_id`."""
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception as exc:  # Airflow's not-found error type varies between versions
        raise ConfigError(f"airflow connection {conn_id}", "password", "missing") from exc
    try:
        return Fernet(str(conn.password or "").encode())
    except (ValueError, TypeError):
        raise ConfigError(
            f"airflow connection {conn_id}", "password", "not a valid Fernet key"
        ) from None


def _mask(*secrets: str) -> None:
    """Register tokens with Airflow's log masker (inside Airflow; a no-op elsewhere)."""
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - Airflow is always installed with the project
        return
    for secret in secrets:
        if secret:
            mask_secret(secret)


class ZaloTokenStore:
    """The current access token of one OA; refreshes (rotates) it under a per-OA lock."""

    def __init__(
        self,
        engine: Engine,
        channel_id: int,
        *,
        fernet: Fernet,
        app_id: str,
        secret_key: str,
        oauth_url: str,
        seed_refresh_token: str | None,
        clock: Callable[[], datetime],
        http: requests.Session | None = None,
        timeout: float = 20.0,
        margin: timedelta = timedelta(hours=1),
        refresher: Refresher = refresh_access_token,
    ) -> None:
        self.engine = engine
        self.channel_id = channel_id
        self.fernet = fernet
        self.app_id = app_id
        self.secret_key = secret_key
        self.oauth_url = oauth_url
        self.seed_refresh_token = seed_refresh_token or None
        self.clock = clock
        self.http = http or requests.Session()
        self.timeout = timeout
        self.margin = margin
        self.refresher = refresher
        self.refreshes = 0  # OAuth calls made (for the run's API call count)

    # ------------------------------------------------------------------ public

    def access_token(self) -> str:
        """A token valid for at least `margin` (refreshing it if needed)."""
        with Session(self.engine) as session:
            row = self._row(session)
            if row is not None:
                token = self._decrypt(row.access_token_enc)
                if token and row.access_expires_at > self.clock() + self.margin:
                    _mask(token)
                    return token
        return self.refresh(None)

    def refresh(self, rejected: str | None) -> str:
        """A new access token, unless another worker already replaced `rejected` by a fresh one."""
        self._ensure_row()
        with Session(self.engine, expire_on_commit=False) as session:
            row = self._lock(session)
            current = self._decrypt(row.access_token_enc)
            fresh = row.access_expires_at > self.clock() + self.margin
            if current and current != rejected and fresh:
                _mask(current)
                return current  # rotated meanwhile by another worker
            stored_refresh = self._decrypt(row.refresh_token_enc)
            try:
                pair = self._rotate(session, row, stored_refresh)
            except TokenError:
                seed = self.seed_refresh_token
                if not seed or seed == stored_refresh:
                    raise
                log.warning("stored Zalo refresh token refused; trying the connection's one")
                pair = self._rotate(session, row, seed)
            return pair.access_token

    # ------------------------------------------------------------------ internals

    def _rotate(self, session: Session, row: PlatformToken, refresh_token: str) -> TokenPair:
        generation = row.generation

        def persist(pair: TokenPair) -> None:
            now = self.clock()
            session.execute(
                update(PlatformToken)
                .where(PlatformToken.id == row.id)
                .values(
                    access_token_enc=self._encrypt(pair.access_token),
                    refresh_token_enc=self._encrypt(pair.refresh_token),
                    access_expires_at=now + timedelta(seconds=pair.expires_in),
                    generation=generation + 1,
                    updated_at=now,
                )
            )
            session.commit()  # durable before the new token is used anywhere
            _mask(pair.access_token, pair.refresh_token)

        self.refreshes += 1
        pair = self.refresher(
            self.oauth_url,
            app_id=self.app_id,
            secret_key=self.secret_key,
            refresh_token=refresh_token,
            on_response=persist,
            session=self.http,
            timeout=self.timeout,
        )
        log.info("Zalo token pair rotated (generation %d)", generation + 1)
        return pair

    def _row(self, session: Session) -> PlatformToken | None:
        return session.scalars(
            select(PlatformToken).where(PlatformToken.channel_id == self.channel_id)
        ).one_or_none()

    def _ensure_row(self) -> None:
        """First use: store the connection's refresh token (the access token is still unknown)."""
        with Session(self.engine) as session:
            if self._row(session) is not None:
                return
            if not self.seed_refresh_token:
                raise TokenError(
                    "no Zalo token pair stored and the connection has no refresh_token",
                    platform="zalo",
                )
            now = self.clock()
            session.execute(
                insert(session, PlatformToken)
                .values(
                    channel_id=self.channel_id,
                    access_token_enc=self._encrypt(""),
                    refresh_token_enc=self._encrypt(self.seed_refresh_token),
                    access_expires_at=EPOCH,
                    generation=0,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["channel_id"])
            )
            session.commit()

    def _lock(self, session: Session) -> PlatformToken:
        query = select(PlatformToken).where(PlatformToken.channel_id == self.channel_id)
        if session.get_bind().dialect.name == "postgresql":
            return session.scalars(query.with_for_update()).one()
        # SQLite: a statement that writes nothing still takes the database write lock.
        session.execute(text("UPDATE platform_tokens SET generation = generation WHERE 0 = 1"))
        return session.scalars(query.execution_options(populate_existing=True)).one()

    def _encrypt(self, value: str) -> str:
        return self.fernet.encrypt(value.encode()).decode()

    def _decrypt(self, value: str) -> str:
        try:
            return self.fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            raise TokenError(
                "stored Zalo tokens cannot be decrypted (was the Fernet key in "
                f"{SECRETS_CONN_ID} changed?)",
                platform="zalo",
            ) from None


def stored_pair(engine: Engine, channel_id: int, fernet: Fernet) -> dict[str, Any] | None:
    """The decrypted pair (tests and the admin CLI only; never log it)."""
    with Session(engine) as session:
        row = session.scalars(
            select(PlatformToken).where(PlatformToken.channel_id == channel_id)
        ).one_or_none()
        if row is None:
            return None
        return {
            "access_token": fernet.decrypt(row.access_token_enc.encode()).decode(),
            "refresh_token": fernet.decrypt(row.refresh_token_enc.encode()).decode(),
            "access_expires_at": row.access_expires_at,
            "generation": row.generation,
        }
