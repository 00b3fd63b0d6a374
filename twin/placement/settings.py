"""What a layout is judged on: a logger's noise, when a leak counts as detected, the objective."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PlacementSettings"]


@dataclass(frozen=True)
class PlacementSettings:
    """The assumptions behind every layout score (defaults in brackets).

    Attributes
    ----------
    noise_m : float
        Standard deviation of a logger's pressure-change reading, m [0.05]: instrument noise
        on the window mean a twin compares (BattLeDIM-like loggers, 5-minute samples).
    model_error_m : float
        Standard deviation of what the twin's model gets wrong at a logger, independent of
        the leak, m [0.03]: demand and roughness errors left after calibration.
    relative_error : float
        Standard deviation of the error of the leak's own signal, as a fraction of it [0.1]:
        a model whose roughness is 10 % off predicts the leak's pressure drop 10 % off.
    detection_sigmas : float
        A logger sees a leak when the leak moves it by more than this many standard
        deviations of ``sqrt(noise_m² + model_error_m²)`` [3].
    inflow_threshold_m3h : float
        A zone's supply meter sees a leak when the leak changes the zone's supply by more
        than this, m³/h [3].
    draws : int
        Noise draws per leak case when scoring [3].
    miss_penalty_m : float
        The objective counts a missed leak (not detected) as this many metres of extra
        localization error [1000]: see :attr:`objective`.
    near_m : float
        "Within" distance of the localization figures, m [300, BattLeDIM's rule].

    Notes
    -----
    The objective a placement minimises is::

        objective = expected distance (m) + miss_penalty_m * (1 - detection rate)

    where the expected distance is the mean, over every leak case and noise draw, of the
    pipe-path distance from the true leak junction to the top candidate of the correlation
    ranking. It is in metres; lower is better.
    """

    noise_m: float = 0.05
    model_error_m: float = 0.03
    relative_error: float = 0.1
    detection_sigmas: float = 3.0
    inflow_threshold_m3h: float = 3.0
    draws: int = 3
    miss_penalty_m: float = 1000.0
    near_m: float = 300.0

    def __post_init__(self) -> None:
        for name in ("noise_m", "model_error_m", "relative_error", "miss_penalty_m"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        for name in ("detection_sigmas", "inflow_threshold_m3h", "near_m"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not (isinstance(self.draws, int) and self.draws >= 1):
            raise ValueError(f"draws must be a whole number >= 1, got {self.draws!r}")

    @property
    def reading_sigma_m(self) -> float:
        """Standard deviation of a logger's leak-free reading, m (noise and model error)."""
        return float((self.noise_m**2 + self.model_error_m**2) ** 0.5)

    @property
    def detection_threshold_m(self) -> float:
        """Pressure change a logger must see for the leak to count as detected, m."""
        return self.detection_sigmas * self.reading_sigma_m
