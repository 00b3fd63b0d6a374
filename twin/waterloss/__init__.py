"""Water loss: the IWA water balance, UARL and ILI, and leakage from minimum night flow."""

from twin.waterloss.balance import WaterBalance, balance_table, leak_volume_m3, water_balance
from twin.waterloss.night_flow import (
    legitimate_night_use_m3h,
    minimum_night_flow,
    night_day_factor,
    night_flow_time,
    night_leakage_m3h,
)
from twin.waterloss.uarl import infrastructure_leakage_index, uarl_is_reliable, uarl_m3_per_day

__all__ = [
    "WaterBalance",
    "balance_table",
    "infrastructure_leakage_index",
    "leak_volume_m3",
    "legitimate_night_use_m3h",
    "minimum_night_flow",
    "night_day_factor",
    "night_flow_time",
    "night_leakage_m3h",
    "uarl_is_reliable",
    "uarl_m3_per_day",
    "water_balance",
]
