"""The Dash app's entry point; stays thin: ``python app.py RUN_DIR`` serves that run.

    .venv/bin/python app.py runs/demo          # http://127.0.0.1:8050

``twin dash --run RUN_DIR [--host H --port P]`` does the same with more options (serving
beyond loopback requires TWIN_DASH_USERS).
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    """Serve the run folder named in ``argv`` (default ``runs/demo``) on 127.0.0.1:8050."""
    run = Path(argv[1] if len(argv) > 1 else "runs/demo")
    if not (run / "twin.duckdb").is_file():
        sys.exit(f"error: no run store at {run}/twin.duckdb; run `make run` (or twin replay) first")
    from twin.dashboard import create_app  # after the check: the import takes seconds

    create_app(run).run(host="127.0.0.1", port=8050, debug=False)


if __name__ == "__main__":
    main(sys.argv)
