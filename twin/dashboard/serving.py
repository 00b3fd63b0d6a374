"""Safe serving: loopback by default; any other address only with basic-auth users."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

from dash import Dash

__all__ = ["USERS_ENV", "is_loopback", "parse_users", "protect", "required_users"]

USERS_ENV = "TWIN_DASH_USERS"
"""Environment variable holding the dashboard's users: ``user:password,user2:password2``."""


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_users(text: str) -> dict[str, str]:
    """Users and passwords from ``user:password,user2:password2``.

    Raises
    ------
    ValueError
        An entry without a colon, an empty user or password, or a user given twice (the
        message names the entry's position, never the password).

    Examples
    --------
    >>> parse_users("ops:secret, lead:other")
    {'ops': 'secret', 'lead': 'other'}
    """
    users: dict[str, str] = {}
    for position, entry in enumerate(text.split(","), start=1):
        user, colon, password = entry.strip().partition(":")
        if not colon or not user or not password:
            raise ValueError(
                f"{USERS_ENV} entry {position}: expected user:password (a non-empty user and "
                "password joined by ':', entries separated by ',')"
            )
        if user in users:
            raise ValueError(f"{USERS_ENV} entry {position}: user {user!r} is given twice")
        users[user] = password
    return users


def required_users(host: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The users who must log in to a dashboard served on ``host`` ({} on loopback).

    Raises
    ------
    ValueError
        A non-loopback host without :data:`USERS_ENV`, or a malformed one.
    """
    if is_loopback(host):
        return {}
    text = (os.environ if environ is None else environ).get(USERS_ENV, "").strip()
    if not text:
        raise ValueError(
            f"serving on {host} exposes the dashboard beyond this machine: set {USERS_ENV}="
            "'user:password,...' to require a login, or serve on 127.0.0.1"
        )
    return parse_users(text)


def protect(app: Dash, users: Mapping[str, str]) -> None:
    """Require a basic-auth login of one of ``users`` for every page and callback (none
    when empty)."""
    if users:
        import dash_auth

        dash_auth.BasicAuth(app, dict(users))
