"""The control-room dashboard: Dash pages over one run's store, read-only but for
operator actions."""

from twin.dashboard.app import create_app

__all__ = ["create_app"]
