"""Slurm unreachable when the controller starts: the cluster safe mode from the first step, the
scenario's training pool budgeted busy until Slurm answers, then the real node count."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from live_testing import build_rig

from wattswitch.control.memory_cluster import MemoryCluster
from wattswitch.model.equipment import JobSpec


def test_slurm_unreachable_at_start_is_the_cluster_safe_mode_until_it_answers(tmp_path: Path) -> None:
    async def go() -> None:
        cluster = MemoryCluster(node_count=5, gpus_per_node=8)
        for k in range(4):
            cluster.submit(JobSpec(f"train-{k}", "train", gpus_per_node=8))
        cluster.set_unreachable(True)
        rig = await build_rig(tmp_path, cluster=cluster, cluster_nodes=None)  # as wire() on a dead Slurm
        live = rig.controller.live
        pool = math.ceil(live.site.training_pool_nodes)
        assert live.gpu.cluster_nodes == pool
        report = await rig.controller.step()
        assert "cluster" in report.safe_modes
        assert report.plan.training_nodes == pool  # the whole pool budgeted busy, never commanded
        assert report.plan.planned_mw <= report.cap_mw
        assert not [c for c in cluster.calls if c.startswith(("suspend", "resume"))]
        assert "cluster" in dict(rig.open_alerts())
        cluster.set_unreachable(False)
        await rig.clock.sleep(300)
        report = await rig.controller.step()
        assert "cluster" not in report.safe_modes
        assert live.gpu.cluster_nodes == 5  # counted once Slurm answered
        assert "cluster" not in dict(rig.open_alerts())
        rig.wired.close()

    asyncio.run(go())
