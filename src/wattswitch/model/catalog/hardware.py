"""Hardware figures: ASIC miners and GPU systems, each with its public source beside it.

They follow ``../shared/data/hardware_specs`` (nameplate specs as quoted by the
sources named). Rows with ``verified=False`` come only from third-party tables that disagree
with each other, or are our documented assumptions: check them before relying on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.errors import ModelError
from wattswitch.model.fleet import PowerCapPoint


@dataclass(frozen=True)
class AsicSpec:
    """Nameplate figures of one ASIC miner model (wall power at 25 °C intake)."""

    model: str
    vendor: str
    hashrate_th_s: float
    power_w: float
    source: str
    verified: bool = True
    cooling: str = "air"

    @property
    def efficiency_j_per_th(self) -> float:
        """Joules per terahash (= W per TH/s)."""
        return self.power_w / self.hashrate_th_s


@dataclass(frozen=True)
class GpuSpec:
    """One GPU model and the 8-GPU (or rack-scale) system it usually ships in."""

    model: str
    gpu_power_w: float
    gpus_per_system: int
    system_power_kw: float
    idle_system_power_kw: float
    source: str
    verified: bool = True


_MININGSTORE_S19 = (
    "miningstore.com, 'The definitive guide to Antminer S19 series' (retailer guide quoting Bitmain)"
)
_THIRD_PARTY = "third-party code tables on GitHub (not manufacturer-verified; values disagree)"

ASICS: dict[str, AsicSpec] = {
    spec.model: spec
    for spec in (
        AsicSpec("Antminer S19", "Bitmain", 95, 3250, _MININGSTORE_S19),
        AsicSpec("Antminer S19 Pro", "Bitmain", 110, 3250, _MININGSTORE_S19),
        AsicSpec("Antminer S19j Pro", "Bitmain", 104, 3082, _MININGSTORE_S19),
        AsicSpec(
            "Antminer S19 XP", "Bitmain", 140, 3010,
            "miningstore.com, 'Is the Antminer S19 XP worth it' (Bitmain announcement, Nov 2021)",
        ),
        AsicSpec(
            "Antminer S21", "Bitmain", 200, 3500,
            "BTCWire 'Antminer S21 review' (2024-03-11) quoting Bitmain: 17.5 J/TH",
        ),
        AsicSpec(
            "Antminer S21 Pro", "Bitmain", 245, 3510,
            "asicmarketplace.com listing via kookoo55/miningftw btc_miner_sheet.csv",
        ),
        AsicSpec(
            "Antminer S21 XP", "Bitmain", 270, 3645,
            "btcminermarketplace.com 'ROI for S21 XP' quoting Bitmain: 270 TH/s, 13.5 J/TH",
        ),
        AsicSpec(
            "Antminer S21+ Hydro", "Bitmain", 319, 4785,
            "top-crypto-mining-asics.com retailer article", cooling="hydro",
        ),
        AsicSpec(
            "Antminer S21 XP Hydro", "Bitmain", 473, 5676, _THIRD_PARTY,
            verified=False, cooling="hydro",
        ),
        AsicSpec("Whatsminer M50S", "MicroBT", 126, 3276, _THIRD_PARTY, verified=False),
        AsicSpec("Whatsminer M60S", "MicroBT", 186, 3441, _THIRD_PARTY, verified=False),
        AsicSpec(
            "Whatsminer M66S", "MicroBT", 298, 5348, _THIRD_PARTY,
            verified=False, cooling="immersion",
        ),
    )
}

_IDLE_ASSUMPTION = "idle ≈ 25 % of system max: wattswitch assumption, not a vendor figure"

GPUS: dict[str, GpuSpec] = {
    spec.model: spec
    for spec in (
        GpuSpec(
            "A100 SXM4", 400, 8, 6.5, 1.6,
            "GPU 400 W: flashgenius.net NCP-AII power guide; DGX A100 6.5 kW max: NVIDIA DGX A100 "
            f"datasheet; {_IDLE_ASSUMPTION}",
        ),
        GpuSpec(
            "H100 SXM5", 700, 8, 10.2, 2.5,
            "GPU 700 W: gpu.blog H100 SXM page; DGX H100 10.2 kW max: flashgenius.net NCP-AII "
            f"guide; {_IDLE_ASSUMPTION}",
        ),
        GpuSpec(
            "H200 SXM", 700, 8, 10.2, 2.5,
            "GPU 700 W: saulelectric.com H200 page; system as DGX H100 (same 700 W parts): "
            f"assumption; {_IDLE_ASSUMPTION}",
            verified=False,
        ),
        GpuSpec(
            "B200", 1000, 8, 14.3, 3.6,
            "GPU up to 1 kW and DGX B200 ~14.3 kW: thedailyscout.com citing NVIDIA docs; "
            f"{_IDLE_ASSUMPTION}",
        ),
        GpuSpec(
            "GB200 NVL72", 1200, 72, 120.0, 30.0,
            "~120 kW per liquid-cooled rack of 72 GPUs: flashgenius.net NCP-AII guide (some "
            f"sources quote up to 132 kW); per-GPU 1.2 kW: assumption; {_IDLE_ASSUMPTION}",
        ),
    )
}

# Throughput vs power cap for H100-class parts. Anchor: about 0.87–0.90 of throughput at about
# 70 % power (public power-capping measurements cited in issue #4, e.g. Patel et al., ASPLOS'24
# "Characterizing power management opportunities for LLMs in the cloud"); points in between are
# a smooth interpolation (assumption), the 50 % point an extrapolation.
H100_POWER_CAP_CURVE: tuple[PowerCapPoint, ...] = (
    PowerCapPoint(0.5, 0.66),
    PowerCapPoint(0.6, 0.79),
    PowerCapPoint(0.7, 0.885),
    PowerCapPoint(0.8, 0.95),
    PowerCapPoint(0.9, 0.985),
    PowerCapPoint(1.0, 1.0),
)

def asic(model: str) -> AsicSpec:
    """Catalog entry of an ASIC model (clear error listing the known ones)."""
    if model not in ASICS:
        raise ModelError(f"catalog: unknown ASIC {model!r}; known: {', '.join(ASICS)}")
    return ASICS[model]


def gpu(model: str) -> GpuSpec:
    """Catalog entry of a GPU model (clear error listing the known ones)."""
    if model not in GPUS:
        raise ModelError(f"catalog: unknown GPU {model!r}; known: {', '.join(GPUS)}")
    return GPUS[model]
