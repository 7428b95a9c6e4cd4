"""The schedulers and the autoscaler on the real public traces (skipped without WATTSWITCH_DATA)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wattswitch.data.inference import diurnal_profile, load_inference
from wattswitch.data.jobs import load_jobs
from wattswitch.data.prices import load_prices
from wattswitch.model.catalog import figure
from wattswitch.model.default_scenario import default_scenario
from wattswitch.scheduling.config import ClusterSpec
from wattswitch.scheduling.inference import (
    DemandCurve,
    ReplicaCapacity,
    RequestMix,
    TargetUtilizationAutoscaler,
    burst_pattern,
    simulate_inference,
)
from wattswitch.scheduling.policies import make_scheduler
from wattswitch.scheduling.power import CapEconomics, ClusterPowerModel, budget_from_prices
from wattswitch.scheduling.simulator import SimOptions, first_jobs, simulate

pytestmark = pytest.mark.realdata

HELIOS = "gpu_jobs_helios_venus/helios_venus_gpu_jobs.csv.gz"
AZURE = "llm_inference_azure_2023/AzureLLMInferenceTrace_conv.csv.gz"
ALIBABA = "genai_sd_requests_alibaba_2024/lora_request_trace_dev.csv.gz"
ERCOT = "ercot_rt_hub_spp_15min/ercot_rt_hub_spp_15min_2020_2023.csv.gz"
JOBS = 4000
GPUS = 384


def test_helios_first_jobs_ours_beats_easy_beats_fifo(shared_data: Path) -> None:
    trace = first_jobs(load_jobs(shared_data / HELIOS), JOBS)
    summaries = {
        name: simulate(trace, ClusterSpec(GPUS), make_scheduler(name)).summary()
        for name in ("fifo", "easy-backfill", "srtf-est")
    }
    for summary in summaries.values():
        assert summary.jobs == JOBS
        assert summary.unfinished == 0
        assert 0 < summary.utilization < 1
    fifo, easy, ours = summaries["fifo"], summaries["easy-backfill"], summaries["srtf-est"]
    assert ours.mean_jct_s < easy.mean_jct_s < fifo.mean_jct_s
    assert ours.mean_queue_delay_s < easy.mean_queue_delay_s < fifo.mean_queue_delay_s
    assert fifo.preemptions == easy.preemptions == 0
    assert ours.preemptions > 0


def test_helios_under_an_ercot_power_budget_has_no_violations(shared_data: Path) -> None:
    node = default_scenario().gpu_groups[0]
    model = ClusterPowerModel(node)
    prices = load_prices(shared_data / ERCOT, hub="HB_WEST")
    # Helios starts on 1 April; the budget follows HB_WEST from 2023-04-01 00:00 Central.
    window = prices.frame.loc[pd.Timestamp("2023-04-01T05:00Z"):].iloc[:, 0].to_numpy()
    budget = budget_from_prices(window, prices.step_s, model, GPUS // 8,
                                CapEconomics(figure("h100_on_demand_price").value))
    assert budget.budget_w.min() < 0.5 * (GPUS // 8) * node.busy_node_power_w  # it does bite
    trace = first_jobs(load_jobs(shared_data / HELIOS), JOBS)
    result = simulate(trace, ClusterSpec(GPUS), make_scheduler("srtf-est"),
                      SimOptions(power_budget=budget, power_model=model))
    assert result.budget_violations == 0
    assert result.summary().unfinished == 0


def test_autoscaled_chat_service_on_real_token_sizes_and_daily_cycle(shared_data: Path) -> None:
    service = default_scenario().inference_services[0]
    capacity = ReplicaCapacity.of_service(service)
    azure = load_inference(shared_data / AZURE)
    mix = RequestMix.from_trace(azure, capacity)
    assert 1000 < mix.mean_input_tokens < 1300  # Azure conversation: mean 1155 prompt tokens
    profile = diurnal_profile(load_inference(shared_data / ALIBABA))
    curve = DemandCurve.diurnal(profile, 40.0, 2 * 86_400.0, 10.0, burst=burst_pattern(azure))
    policy = TargetUtilizationAutoscaler()
    auto = simulate_inference(curve, mix, capacity, service, autoscaler=policy)
    static = simulate_inference(curve, mix, capacity, service,
                                static_replicas=policy.static_replicas(curve, mix.mean_work_s))
    assert auto.slo_attainment >= 0.99
    assert auto.gpu_hours < static.gpu_hours
    assert np.isfinite(auto.p99_wait_s)
