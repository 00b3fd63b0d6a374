"""The twin's own model: expected consumption, demand estimation, zone balance, calibration."""

from twin.model.consumption import NominalConsumption
from twin.model.demand import DemandEstimator
from twin.model.twin_model import Expected, TwinModel
from twin.model.zones import ZoneBalance

__all__ = ["DemandEstimator", "Expected", "NominalConsumption", "TwinModel", "ZoneBalance"]
