"""The ``twin`` command line: one module per command, registered on one Typer app."""

from twin.cli.app import app


def main() -> None:
    """Entry point of the ``twin`` console script."""
    # Importing the command modules registers their commands on ``app``.
    from twin.cli import networks, simulate  # noqa: F401

    app()


__all__ = ["app", "main"]
