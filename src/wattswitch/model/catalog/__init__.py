"""The one catalog of figures from the world, each with its public source beside it.

Rows with ``verified=False`` come only from third-party tables that disagree with each other, or
are documented approximations: check them before relying on them. New figures (capex, leases,
deals) go into a module of this package, never elsewhere in the code.
"""

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
    "FIGURES",
    "GPUS",
    "H100_POWER_CAP_CURVE",
    "AsicSpec",
    "Figure",
    "GpuSpec",
    "asic",
    "figure",
    "gpu",
]
