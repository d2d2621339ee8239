"""Bearer-token access with roles (issue 4 §3).

Tokens are created by ``fleetplan users add NAME --role R`` (or the first-start admin token) and
stored hashed by the record store. Every protected route depends on :func:`require_role`:

- no token or an unknown one → 401 with ``WWW-Authenticate: Bearer``;
- a role below the route's → 403.

Roles: ``viewer`` < ``dispatcher``, ``planner``; ``admin`` may do everything. ``feed`` (a positioning
feed's account) may post positions and nothing else, not even look: a leaked feed token reads no record.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.records.types import RecordStore, Role, User
from api.routers.deps import get_store

bearer = HTTPBearer(auto_error=False, description="a token from `fleetplan users add NAME --role R`")

# Which roles satisfy a required role.
GRANTED_BY: dict[Role, frozenset[Role]] = {
    Role.VIEWER: frozenset(Role) - {Role.FEED},
    Role.DISPATCHER: frozenset({Role.DISPATCHER, Role.ADMIN}),
    Role.PLANNER: frozenset({Role.PLANNER, Role.ADMIN}),
    Role.ADMIN: frozenset({Role.ADMIN}),
    Role.FEED: frozenset({Role.FEED, Role.ADMIN}),
}


def role_allows(role: Role, required: Role) -> bool:
    """Whether a user with ``role`` may use a route that requires ``required``.

    Parameters
    ----------
    role
        The user's role.
    required
        The route's role; ``viewer`` is granted to every role but ``feed``, ``admin`` only to admins.

    Returns
    -------
    bool
    """
    return role in GRANTED_BY[required]


def user_for_token(store: RecordStore, token: str | None) -> User:
    """The user of a bearer token.

    Parameters
    ----------
    store
        The record store, which keeps only hashes of the tokens.
    token
        The bearer token, or ``None`` when the request has none.

    Returns
    -------
    User

    Raises
    ------
    HTTPException
        401 with ``WWW-Authenticate: Bearer`` when the token is missing or unknown.
    """
    user = store.user_for_token(token) if token else None
    if user is None:
        detail = (
            "Authorization: unknown bearer token"
            if token
            else "Authorization: a bearer token is required (Authorization: Bearer <token>)"
        )
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})
    return user


def current_user(
    credentials: HTTPAuthorizationCredentials | None = Security(bearer), store: RecordStore = Depends(get_store)
) -> User:
    """The authenticated user (401 otherwise)."""
    return user_for_token(store, credentials.credentials if credentials else None)


def require_role(required: Role) -> Callable[..., User]:
    """A dependency returning the authenticated user whose role allows ``required``.

    Parameters
    ----------
    required
        The role the route needs.

    Returns
    -------
    Callable
        For ``Depends``: 401 without a known token, 403 when the role is below ``required``.
    """

    def dependency(user: User = Depends(current_user)) -> User:
        if not role_allows(user.role, required):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"role: {user.name} is {user.role.value}; this needs {required.value}"
            )
        return user

    dependency.__name__ = f"require_{required.value}"
    return dependency


viewer = require_role(Role.VIEWER)
dispatcher = require_role(Role.DISPATCHER)
planner = require_role(Role.PLANNER)
admin = require_role(Role.ADMIN)
feed = require_role(Role.FEED)
