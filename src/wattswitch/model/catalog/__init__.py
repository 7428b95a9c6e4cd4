"""The one catalog of figures from the world, each with its public source beside it.

Rows with ``verified=False`` come only from third-party tables that disagree with each other, or
are documented approximations: check them before relying on them. New figures (capex, leases,
deals) go into a module of this package, never elsewhere in the code.
"""

from wattswitch.model.catalog.finance import (
    CAPEX_BENCHMARKS,
    CONVERSION_CAPEX,
    FINANCE_FIGURES,
    FINANCING,
    HOSTING_DEALS,
    TASK_DURATIONS,
    VALUATION_MULTIPLES,
    CapexComponent,
    DurationFigure,
    FinancingTerms,
    HostingDeal,
    RangeFigure,
    capex_component,
    finance_figure,
    task_duration,
)
from wattswitch.model.catalog.hardware import (
    ASICS,
    GPUS,
    H100_POWER_CAP_CURVE,
    AsicSpec,
    GpuSpec,
    asic,
    gpu,
)
from wattswitch.model.catalog.market import FIGURES, Figure, figure

__all__ = [
    "ASICS",
    "CAPEX_BENCHMARKS",
    "CONVERSION_CAPEX",
    "FIGURES",
    "FINANCE_FIGURES",
    "FINANCING",
    "GPUS",
    "H100_POWER_CAP_CURVE",
    "HOSTING_DEALS",
    "TASK_DURATIONS",
    "VALUATION_MULTIPLES",
    "AsicSpec",
    "CapexComponent",
    "DurationFigure",
    "Figure",
    "FinancingTerms",
    "GpuSpec",
    "HostingDeal",
    "RangeFigure",
    "asic",
    "capex_component",
    "figure",
    "finance_figure",
    "gpu",
    "task_duration",
]
