"""Hydraulics: the stepwise EPANET engine, leaks as orifices, and pressure-dependent demand."""

from twin.hydraulics.engine import EngineError, HydraulicEngine, HydraulicState
from twin.hydraulics.leaks import Leak, emitter_coefficients, orifice_outflow
from twin.hydraulics.project import PressureDependentDemand

__all__ = [
    "EngineError",
    "HydraulicEngine",
    "HydraulicState",
    "Leak",
    "PressureDependentDemand",
    "emitter_coefficients",
    "orifice_outflow",
]
