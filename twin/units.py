"""Factors from SI (inside the twin) to the units a utility reads on files and screens."""

__all__ = ["M3S_TO_LH", "M3S_TO_M3H"]

M3S_TO_M3H = 3600.0
"""m³/h per m³/s: flow meters and leak outflows."""

M3S_TO_LH = 3.6e6
"""L/h per m³/s: AMR consumption meters."""
