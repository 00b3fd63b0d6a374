"""The ``twin`` command line: one module per command, each registering itself on one Typer app."""

import importlib
import pkgutil

from twin.cli.app import app


def _register_commands() -> None:
    """Import every command module of this package; importing one registers its command."""
    for module in pkgutil.iter_modules(__path__):
        if module.name != "app":
            importlib.import_module(f"{__name__}.{module.name}")


def main() -> None:
    """Entry point of the ``twin`` console script.

    Bad input of any command (an unknown network, an unreadable file, a bad value) ends in a
    one-paragraph error and exit status 2, never a traceback.
    """
    import typer
    from rich.markup import escape

    from twin.cli.app import err_console

    _register_commands()
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as error:  # usage errors: Typer's own message and status
        error.show()
        raise SystemExit(getattr(error, "exit_code", 2)) from None
    except typer.Abort:
        err_console.print("aborted")
        raise SystemExit(1) from None
    except (ValueError, KeyError, LookupError, FileNotFoundError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        err_console.print(f"[bold red]error:[/] {escape(str(message))}", highlight=False)
        raise SystemExit(2) from None
    raise SystemExit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
