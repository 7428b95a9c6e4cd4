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
    "training_checkpoint_state_gb_per_gpu": Figure(
        10.0, "gb_per_gpu",
        "sharded training state written per GPU at a checkpoint: ≈ 12–16 bytes per parameter "
        "(ZeRO, Rajbhandari et al. 2020: 16 B/param in memory; checkpoints usually drop the "
        "gradients); NVIDIA puts a 70B checkpoint at 782 GiB (≈ 6 GB/GPU on 128 GPUs), a 7B model "
        "on 8 GPUs is ≈ 12 GB/GPU; Llama 3 wrote 1 MB–4 GB per GPU (Dubey et al. 2024); wattswitch "
        "takes 10 GB", verified=False,
    ),
    "training_checkpoint_write_gb_per_s_per_node": Figure(
        0.55, "gb_per_s",
        "sustained synchronous checkpoint write per 8-GPU node: a synchronous save of a 7B model "
        "took 148.8 s (asynchronous: 6.3 s) in PyTorch's 2024 blog on distributed checkpointing; "
        "0.55 GB/s per node makes a 10 GB/GPU write ≈ 145 s", verified=False,
    ),
    "training_stall_dynamic_power_fraction": Figure(
        0.15, "ratio",
        "GPU power above idle while a synchronous job waits on checkpoint I/O or a restart: near "
        "idle; Meta reports data-center power swinging by tens of MW when all GPUs wait for "
        "checkpointing (Llama 3 paper, Dubey et al. 2024, §3.3.4, on ≈ 30 MW of IT); no direct "
        "measurement found: wattswitch takes 15 % (plausible 5–60 %)", verified=False,
    ),
    "asic_power_down_s_stock": Figure(
        60.0, "s",
        "seconds from a sleep / power-target command to a stock-firmware miner's lower draw; vendors "
        "say 'near zero in seconds' without timings; wattswitch assumption, measure on your fleet",
        verified=False,
    ),
    "asic_power_up_s_stock": Figure(
        180.0, "s",
        "seconds from a wake command to a stock-firmware miner's full draw (hashboards re-tune as on "
        "a reboot); wattswitch assumption (plausible 60–300 s), measure on your fleet", verified=False,
    ),
    "asic_power_down_s_braiins": Figure(
        15.0, "s",
        "Braiins OS+ (power targets, pause/resume, 'quick ramping') and LuxOS-class firmware: "
        "mechanisms documented by the vendors, timings not; wattswitch assumption", verified=False,
    ),
    "asic_power_up_s_braiins": Figure(
        60.0, "s",
        "Braiins OS+ quick ramping / LuxOS fast wake: mechanisms documented, timings not; "
        "wattswitch assumption (plausible 30–180 s)", verified=False,
    ),
}


def figure(key: str) -> Figure:
    """A sourced figure by key (clear error listing the known ones)."""
    if key not in FIGURES:
        raise ModelError(f"catalog: unknown figure {key!r}; known: {', '.join(FIGURES)}")
    return FIGURES[key]
