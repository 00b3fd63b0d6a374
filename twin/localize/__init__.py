"""Localization: where a leak is, from sensitivities, candidate ranking and search areas."""
