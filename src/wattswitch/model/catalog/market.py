"""Market, price and operating figures (PUE, tariffs, rental and token prices) with sources."""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.errors import ModelError


@dataclass(frozen=True)
class Figure:
    """A single number from the world with its unit and source."""

    value: float
    unit: str
    source: str
    verified: bool = True


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


def figure(key: str) -> Figure:
    """A sourced figure by key (clear error listing the known ones)."""
    if key not in FIGURES:
        raise ModelError(f"catalog: unknown figure {key!r}; known: {', '.join(FIGURES)}")
    return FIGURES[key]
