"""Plant: the hidden truth of simulated scenarios (perturbed model, demand, leaks, faults)."""

from twin.plant.demand import (
    COMMERCIAL,
    INDUSTRIAL,
    PROFILES,
    RESIDENTIAL,
    ConsumptionProfile,
    DemandModel,
    StochasticDemand,
    base_demand_by_source,
    consumer_type_of,
    junction_demands,
)
from twin.plant.runner import FAULT_SIZES, Plant, PlantTruth, PlantUncertainty, all_faults_on
from twin.plant.uncertainty import MAX_FRACTION, PerturbationRecord, perturb_network

__all__ = [
    "COMMERCIAL",
    "FAULT_SIZES",
    "INDUSTRIAL",
    "MAX_FRACTION",
    "PROFILES",
    "RESIDENTIAL",
    "ConsumptionProfile",
    "DemandModel",
    "PerturbationRecord",
    "Plant",
    "PlantTruth",
    "PlantUncertainty",
    "StochasticDemand",
    "all_faults_on",
    "base_demand_by_source",
    "consumer_type_of",
    "junction_demands",
    "perturb_network",
]
