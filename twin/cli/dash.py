"""``twin dash``: serve the control-room dashboard of a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from twin.cli.app import app, console

__all__ = ["dash"]


@app.command()
def dash(
    run: Annotated[Path, typer.Option(help="Run folder (holding twin.duckdb) to show.")],
    host: Annotated[
        str,
        typer.Option(help="Address to serve on; other than loopback needs TWIN_DASH_USERS."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8050,
    live: Annotated[
        bool, typer.Option(help="The run is still being written: follow it as it fills.")
    ] = False,
) -> None:
    """Serve the dashboard of a run (http://127.0.0.1:8050 by default)."""
    from twin.dashboard import create_app
    from twin.dashboard.serving import protect, required_users

    if not (run / "twin.duckdb").is_file():
        raise FileNotFoundError(
            f"{run}: no twin.duckdb here; give a folder `twin replay --out` wrote"
        )
    users = required_users(host)  # before the app is built: refuse an unprotected address
    dashboard = create_app(run, live=live)
    protect(dashboard, users)
    login = f", login required ({len(users)} user(s))" if users else ""
    console.print(f"dashboard of {run} at http://{host}:{port}{login}; Ctrl-C stops it")
    dashboard.run(host=host, port=port, debug=False)
