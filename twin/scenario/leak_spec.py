"""A leak written on one line, as the command line and quick scenarios give it."""

from __future__ import annotations

__all__ = ["LEAK_FORMAT", "parse_leak"]

LEAK_FORMAT = "PIPE:DIAMETER_MM:START_H[:PEAK_H[:END_H]]"


def parse_leak(spec: str, pipes: set[str], junctions: set[str]):
    """Turn ``PIPE:DIAMETER_MM:START_H[:PEAK_H[:END_H]]`` into a :class:`Leak`.

    The site may be a pipe (the leak sits at its middle) or a junction. Hours count from the
    run's start; PEAK_H makes the leak incipient (it grows until then), END_H repairs it.

    Examples
    --------
    >>> leak = parse_leak("p257:20:6:30", {"p257"}, set())
    >>> leak.diameter_m, leak.start_s, leak.peak_s, leak.kind
    (0.02, 21600, 108000, 'incipient')
    """
    from twin.hydraulics import Leak

    parts = spec.split(":")
    if not 3 <= len(parts) <= 5:
        raise ValueError(f"--leak {spec!r}: expected {LEAK_FORMAT}")
    site, *numbers = parts
    try:
        diameter_mm, start_h, *rest = (float(x) for x in numbers)
    except ValueError:
        raise ValueError(
            f"--leak {spec!r}: DIAMETER_MM and the hours must be numbers ({LEAK_FORMAT})"
        ) from None
    if site in pipes:
        on = "pipe"
    elif site in junctions:
        on = "junction"
    else:
        raise ValueError(
            f"--leak {spec!r}: {site!r} is neither a pipe nor a junction of the network"
        )
    if not 0 < diameter_mm < 2000:
        raise ValueError(
            f"--leak {spec!r}: DIAMETER_MM must be between 0 and 2000 mm, got {diameter_mm}"
        )
    hours = [start_h, *rest]
    if any(h < 0 for h in hours):
        raise ValueError(f"--leak {spec!r}: hours must be >= 0")
    peak = round(rest[0] * 3600) if len(rest) >= 1 else None
    end = round(rest[1] * 3600) if len(rest) >= 2 else None
    return Leak(
        site,
        diameter_mm / 1000.0,
        start_s=round(start_h * 3600),
        peak_s=peak,
        end_s=end,
        on=on,
        leak_id=f"leak_{site}"[:31],
    )
