"""GPU power caps: the real NVML absent here (modelled, and said so), modelled caps, and the NVML
path with pynvml's functions replaced by a fake GPU board (mW units, clamping, errors)."""

from __future__ import annotations

import math
from typing import Any

import pynvml
import pytest

from wattswitch.control.nvml import ModelledPowerCaps, NvmlPowerCaps
from wattswitch.errors import EquipmentError
from wattswitch.model.equipment import GpuPowerCaps, GpuPowerReading


def _nvml_really_works() -> bool:
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return False
    pynvml.nvmlShutdown()
    return True


@pytest.mark.skipif(_nvml_really_works(), reason="this machine has an NVIDIA driver and GPU")
def test_without_a_driver_caps_are_modelled_and_described_so() -> None:
    with NvmlPowerCaps(ModelledPowerCaps(8, 700, 200, 700)) as caps:
        assert caps.modelled
        text = caps.describe()
        assert text.startswith("no NVIDIA driver/GPU found (")
        assert "GPU power caps are modelled, not applied" in text
        assert "8 modelled GPUs" in text
        caps.set_cap_w(3, 450)
        assert caps.read()[3] == GpuPowerReading(3, 450.0, 450.0)


@pytest.mark.skipif(_nvml_really_works(), reason="this machine has an NVIDIA driver and GPU")
def test_without_a_driver_or_fallback_there_are_no_gpus() -> None:
    caps = NvmlPowerCaps()
    assert caps.modelled
    assert caps.read() == []
    with pytest.raises(EquipmentError, match="no such GPU"):
        caps.set_cap_w(0, 300)
    caps.close()


def test_modelled_caps_clamp_to_the_allowed_range() -> None:
    caps: GpuPowerCaps = ModelledPowerCaps(gpu_count=2, default_cap_w=700, min_w=200, max_w=700)
    assert caps.modelled
    assert caps.read() == [GpuPowerReading(0, 700.0, 700.0), GpuPowerReading(1, 700.0, 700.0)]
    caps.set_cap_w(0, 100)
    caps.set_cap_w(1, 900)
    assert [r.power_cap_w for r in caps.read()] == [200.0, 700.0]
    caps.set_cap_w(1, 555.5)
    assert caps.read()[1].power_cap_w == 555.5
    for bad in (math.nan, math.inf, -5.0):
        with pytest.raises(EquipmentError, match="not a finite"):
            caps.set_cap_w(0, bad)
    with pytest.raises(EquipmentError, match="no such GPU"):
        caps.set_cap_w(2, 300)
    assert caps.limits_w(1) == (200.0, 700.0)
    with pytest.raises(EquipmentError, match="no such GPU"):
        caps.limits_w(2)
    assert "modelled, not applied" in caps.describe()


def test_modelled_caps_check_their_figures() -> None:
    with pytest.raises(ValueError, match="min_w <= default_cap_w <= max_w"):
        ModelledPowerCaps(1, 800, 200, 700)


class FakeBoard:
    """Two GPUs behind pynvml's functions: power in mW, limits 100-300 W (GPU 0) and 150-400 W."""

    def __init__(self) -> None:
        self.limits_mw = [250_000, 400_000]
        self.constraints_mw = [(100_000, 300_000), (150_000, 400_000)]
        self.power_mw = [123_456, 0]
        self.initialised = 0
        self.shutdowns = 0
        self.deny_set = False

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def handle(index: int) -> int:
            return index

        def set_limit(h: int, mw: int) -> None:
            if self.deny_set:
                raise pynvml.NVMLError(pynvml.NVML_ERROR_NO_PERMISSION)
            assert isinstance(mw, int)
            self.limits_mw[h] = mw

        def init() -> None:
            self.initialised += 1

        def shutdown() -> None:
            self.shutdowns += 1

        fakes: dict[str, Any] = {
            "nvmlInit": init,
            "nvmlShutdown": shutdown,
            "nvmlDeviceGetCount": lambda: 2,
            "nvmlDeviceGetHandleByIndex": handle,
            "nvmlSystemGetDriverVersion": lambda: "550.54.15",
            "nvmlDeviceGetPowerUsage": lambda h: self.power_mw[h],
            "nvmlDeviceGetPowerManagementLimit": lambda h: self.limits_mw[h],
            "nvmlDeviceGetPowerManagementLimitConstraints": lambda h: self.constraints_mw[h],
            "nvmlDeviceSetPowerManagementLimit": set_limit,
        }
        for name, function in fakes.items():
            monkeypatch.setattr(pynvml, name, function)


@pytest.fixture
def board(monkeypatch: pytest.MonkeyPatch) -> FakeBoard:
    fake = FakeBoard()
    fake.install(monkeypatch)
    return fake


def test_nvml_reads_watts_from_milliwatts(board: FakeBoard) -> None:
    with NvmlPowerCaps(ModelledPowerCaps(8, 700, 200, 700)) as caps:
        assert not caps.modelled
        assert caps.describe() == "NVML: 2 NVIDIA GPUs (driver 550.54.15): GPU power caps are applied"
        assert caps.read() == [GpuPowerReading(0, 123.456, 250.0), GpuPowerReading(1, 0.0, 400.0)]
    assert (board.initialised, board.shutdowns) == (1, 1)


def test_nvml_caps_are_set_in_milliwatts_and_clamped(board: FakeBoard) -> None:
    caps = NvmlPowerCaps()
    caps.set_cap_w(0, 222.2)
    assert board.limits_mw[0] == 222_200
    caps.set_cap_w(0, 50)
    assert board.limits_mw[0] == 100_000
    caps.set_cap_w(1, 1000)
    assert board.limits_mw[1] == 400_000
    assert [r.power_cap_w for r in caps.read()] == [100.0, 400.0]
    assert [caps.limits_w(i) for i in (0, 1)] == [(100.0, 300.0), (150.0, 400.0)]
    with pytest.raises(EquipmentError, match="no such GPU"):
        caps.set_cap_w(2, 200)
    with pytest.raises(EquipmentError, match="no such GPU"):
        caps.limits_w(2)
    caps.close()
    caps.close()
    assert board.shutdowns == 1


def test_nvml_refusing_a_cap_is_an_equipment_error(board: FakeBoard) -> None:
    board.deny_set = True
    caps = NvmlPowerCaps()
    with pytest.raises(
        EquipmentError, match=r"NVML GPU 1: nvmlDeviceSetPowerManagementLimit failed.*needs root"
    ):
        caps.set_cap_w(1, 300)
    caps.close()


def test_nvml_with_zero_gpus_is_modelled(board: FakeBoard, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pynvml, "nvmlDeviceGetCount", lambda: 0)
    caps = NvmlPowerCaps()
    assert caps.modelled
    assert "NVML reports 0 GPUs" in caps.describe()
    assert board.shutdowns == 1
