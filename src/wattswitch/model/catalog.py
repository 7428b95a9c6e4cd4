"""The one catalog of figures from the world, each with its public source beside it.

Hardware figures follow ``../shared/data/hardware_specs`` (nameplate specs as quoted by the
sources named). Rows with ``verified=False`` come only from third-party tables that disagree
with each other, or are our documented assumptions: check them before relying on them.
Later issues add capex, contract and lease figures here, never elsewhere.
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


@dataclass(frozen=True)
class Figure:
    """A single number from the world with its unit and source."""

    value: float
    unit: str
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

FIGURES: dict[str, Figure] = {
    "pue_asic_air": Figure(
        1.05, "ratio",
        "air-cooled mining halls run fans only: PUE ≈ 1.03–1.10 (operators' ESG reports, e.g. "
        "Riot and Cipher); wattswitch takes 1.05", verified=False,
    ),
    "pue_ai_liquid": Figure(
        1.25, "ratio",
        "new direct-to-chip AI halls: PUE ≈ 1.1–1.3 (Uptime Institute Global Data Center Survey "
        "2024 reports a 1.56 fleet average; new liquid-cooled builds far lower)", verified=False,
    ),
    "ercot_4cp_rate": Figure(
        60.0, "usd_per_kw_year",
        "ERCOT transmission cost of service allocated on 4CP demand, order of $5/kW-month for "
        "transmission-voltage loads (PUCT TCOS postage stamp); approximate", verified=False,
    ),
    "h100_reserved_price": Figure(
        2.10, "usd_per_gpu_hour",
        "multi-year reserved H100 bare metal ≈ $2.0–2.4/GPU-h in 2025 public rental indices; "
        "approximate", verified=False,
    ),
    "h100_on_demand_price": Figure(
        2.99, "usd_per_gpu_hour",
        "Lambda public price list 2025: H100 SXM on-demand $2.99/GPU-h", verified=False,
    ),
    "llm_70b_price": Figure(
        0.88, "usd_per_million_tokens",
        "Together AI public pricing 2025, Llama 3.3 70B Instruct Turbo", verified=False,
    ),
    "llm_70b_tokens_per_s_8xh100": Figure(
        2500.0, "tokens_per_s",
        "vLLM serving Llama-70B on 8×H100 at moderate batch: a few thousand output tokens/s "
        "(vLLM performance blog 2024); wattswitch takes 2,500", verified=False,
    ),
    "ercot_non_spin_price": Figure(
        10.0, "usd_per_mw_hour",
        "ERCOT Non-Spinning Reserve day-ahead clearing prices, order of $5–20/MW-h outside "
        "scarcity (ERCOT market reports / IMM State of the Market 2023); approximate",
        verified=False,
    ),
    "ercot_dr_payment": Figure(
        500.0, "usd_per_mwh",
        "value of load shed in an ERCOT emergency event, order of the ORDC-adder-inflated "
        "real-time price during EEA; wattswitch example figure", verified=False,
    ),
    "west_texas_ppa_price": Figure(
        35.0, "usd_per_mwh",
        "fixed-price West Texas wind/solar PPAs ≈ $25–45/MWh (LevelTen PPA Price Index ERCOT, "
        "2023–2024 P25); approximate", verified=False,
    ),
}


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


def figure(key: str) -> Figure:
    """A sourced figure by key (clear error listing the known ones)."""
    if key not in FIGURES:
        raise ModelError(f"catalog: unknown figure {key!r}; known: {', '.join(FIGURES)}")
    return FIGURES[key]
