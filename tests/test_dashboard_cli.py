"""`twin dash` and `python app.py`: safe by default, clear refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from twin.cli import main
from twin.dashboard.serving import USERS_ENV, is_loopback, parse_users, required_users

ROOT = Path(__file__).resolve().parent.parent


def _twin(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run ``twin <args>`` through its entry point; exit status and stderr (one line)."""
    monkeypatch.delenv(USERS_ENV, raising=False)
    monkeypatch.setattr(sys, "argv", ["twin", *args])
    with pytest.raises(SystemExit) as ended:
        main()
    return ended.value.code, " ".join(capsys.readouterr().err.split())


def test_dash_refuses_a_public_address_without_users(tmp_path, monkeypatch, capsys):
    """Serving on 0.0.0.0 without TWIN_DASH_USERS exits 2 with one message, no traceback."""
    (tmp_path / "twin.duckdb").write_bytes(b"")
    code, error = _twin(monkeypatch, capsys, "dash", "--run", str(tmp_path), "--host", "0.0.0.0")
    assert code == 2
    assert f"set {USERS_ENV}=" in error and "Traceback" not in error


def test_dash_refuses_a_folder_without_a_store(tmp_path, monkeypatch, capsys):
    """A run folder with no twin.duckdb exits 2 naming it."""
    code, error = _twin(monkeypatch, capsys, "dash", "--run", str(tmp_path))
    assert code == 2
    assert "no twin.duckdb here" in error


def test_app_py_says_when_there_is_no_run(tmp_path):
    """`python app.py FOLDER` without a store exits with a message, no traceback."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "no run store" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
    ],
)
def test_loopback_addresses_are_told_apart(host, loopback):
    """Only loopback addresses are served without a login."""
    assert is_loopback(host) is loopback


def test_users_are_required_off_loopback_only():
    """Loopback needs no users; another address takes them from the environment."""
    assert required_users("127.0.0.1", {}) == {}
    assert required_users("0.0.0.0", {USERS_ENV: "ops:pw"}) == {"ops": "pw"}
    with pytest.raises(ValueError, match="127.0.0.1"):
        required_users("0.0.0.0", {})


@pytest.mark.parametrize("text", ["ops", "ops:", ":pw", "ops:pw,ops:other"])
def test_malformed_users_are_refused_without_echoing_passwords(text):
    """A bad TWIN_DASH_USERS entry names its position, never a password."""
    with pytest.raises(ValueError, match="entry") as error:
        parse_users(text)
    assert "pw" not in str(error.value) and "other" not in str(error.value)


def test_basic_auth_guards_pages_and_callbacks(tmp_path):
    """With users set, a request without the right login gets 401; with it, the page."""
    import base64

    from tests.test_dashboard_run import build_run
    from twin.dashboard import create_app
    from twin.dashboard.serving import protect

    app = create_app(build_run(tmp_path / "run"))
    protect(app, {"ops": "secret"})
    client = app.server.test_client()
    good = base64.b64encode(b"ops:secret").decode()
    bad = base64.b64encode(b"ops:wrong").decode()
    assert client.get("/").status_code == 401
    assert client.get("/_dash-layout", headers={"Authorization": f"Basic {bad}"}).status_code == 401
    assert (
        client.get("/_dash-layout", headers={"Authorization": f"Basic {good}"}).status_code == 200
    )
