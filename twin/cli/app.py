"""The Typer application the command modules register on, and the shared console."""

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TimeRemainingColumn

app = typer.Typer(
    name="twin",
    help="Smart water network digital twin: networks, simulation, feeds, detection, water loss.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


@app.callback()
def _twin() -> None:
    """Smart water network digital twin: networks, simulation, feeds, detection, water loss."""


err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    """Print a user-facing error (no traceback) and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def step_progress() -> Progress:
    """A transient progress bar counting simulation steps, on the shared console."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        "{task.completed}/{task.total} steps",
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
