"""Devices: parsing, discovery with CUDA mocked present and absent, NVML matched by PCI bus id."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import pytest
import torch

from tui.cli import main
from tui.platform import devices, nvml
from tui.platform.devices import DeviceError, discover, load_torch, parse_device, resolve


@dataclass
class FakeProps:
    name: str
    total_memory: int
    pci_bus_id: int
    pci_domain_id: int = 0
    pci_device_id: int = 0
    uuid: str = ""


GPUS = [
    FakeProps("NVIDIA H100 80GB HBM3", 80 * 2**30, 0x3B, uuid="aaaa-0"),
    FakeProps("NVIDIA A10", 24 * 2**30, 0x1A, uuid="bbbb-1"),
]


@pytest.fixture
def two_gpus(monkeypatch):
    """torch believes two GPUs are there (CUDA order: the H100 first, though its bus is later)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(GPUS))
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: GPUS[i])


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)


@pytest.mark.parametrize(
    "text, want",
    [("cpu", "cpu"), ("CUDA", "cuda:0"), ("cuda:1", "cuda:1"), (" mps ", "mps")],
)
def test_parse_device_normalises(text, want):
    assert parse_device(text) == want


@pytest.mark.parametrize("text", ["gpu", "cuda:-1", "mps:1", "cuda:x", ""])
def test_parse_device_refuses_misspellings(text):
    with pytest.raises(DeviceError):
        parse_device(text)


def test_discover_lists_each_gpu_with_name_and_memory(two_gpus):
    found = discover()
    assert [d.name for d in found][:3] == ["cpu", "cuda:0", "cuda:1"]
    assert found[1].label == "cuda:0 NVIDIA H100 80GB HBM3 (80.0 GiB)"
    assert found[2].label == "cuda:1 NVIDIA A10 (24.0 GiB)"
    assert found[1].pci_bus_id == "0000:3b:00.0"


def test_cuda_1_is_used_when_present(two_gpus):
    info = load_torch("cuda:1")
    assert info.device == "cuda:1" and info.warning is None


def test_missing_gpu_falls_back_to_cpu_with_a_clear_message(no_gpu, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    info = load_torch("cuda:1")
    assert info.device == "cpu"
    assert info.warning == "device cuda:1 is not available (have: cpu); using cpu"


def test_resolve_mentions_cuda_visible_devices(two_gpus, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    device, warning = resolve("cuda:3", discover())
    assert device == "cpu"
    assert "cuda:0, cuda:1" in warning and "CUDA_VISIBLE_DEVICES=2,3" in warning


def test_cli_exits_2_for_a_missing_gpu(no_gpu, capsys):
    assert main(["train", "--device", "cuda:3"]) == 2
    err = capsys.readouterr().err
    assert "device cuda:3 is not available" in err and err.count("\n") == 1


def test_the_app_leaves_the_device_check_to_its_kernel(no_gpu, monkeypatch):
    """The app process never imports torch: its kernel falls back to cpu and says so."""
    import tui.cli as cli

    seen = {}
    monkeypatch.setattr(cli, "run_app", lambda args: seen.setdefault("device", args.device) and 0)
    monkeypatch.setattr(devices, "discover", lambda: pytest.fail("the app asked torch"))
    assert main(["--device", "cuda:3"]) == 0
    assert seen["device"] == "cuda:3"


def test_cli_starts_the_app_on_a_gpu_that_is_there(two_gpus, monkeypatch):
    import tui.cli as cli

    seen = {}
    monkeypatch.setattr(cli, "run_app", lambda args: seen.setdefault("device", args.device) and 0)
    assert main(["--device", "cuda:1"]) == 0
    assert seen["device"] == "cuda:1"


def test_cli_cpu_never_asks_torch(monkeypatch):
    monkeypatch.setattr(devices, "discover", lambda: pytest.fail("discover called for cpu"))
    assert devices.check_requested("cpu") is None
    assert devices.check_requested(None) is None


# -- NVML -----------------------------------------------------------------------------


class FakeNvml(types.ModuleType):
    """pynvml as the driver would answer: GPUs in PCI order (the A10 first)."""

    NVML_TEMPERATURE_GPU = 0
    BOARDS = [  # (busId, uuid, util, temp, mW, limit mW, used, total)
        (b"00000000:1A:00.0", "GPU-bbbb-1", 5, 40, 60_000, 150_000, 1 * 2**30, 24 * 2**30),
        (b"00000000:3B:00.0", "GPU-aaaa-0", 97, 71, 650_000, 700_000, 70 * 2**30, 80 * 2**30),
    ]

    def __init__(self):
        super().__init__("pynvml")

    def nvmlInit(self):
        pass

    def nvmlDeviceGetCount(self):
        return len(self.BOARDS)

    def nvmlDeviceGetHandleByIndex(self, i):
        return self.BOARDS[i]

    def nvmlDeviceGetPciInfo(self, h):
        return types.SimpleNamespace(busId=h[0])

    def nvmlDeviceGetUUID(self, h):
        return h[1]

    def nvmlDeviceGetUtilizationRates(self, h):
        return types.SimpleNamespace(gpu=h[2], memory=0)

    def nvmlDeviceGetTemperature(self, h, sensor):
        return h[3]

    def nvmlDeviceGetPowerUsage(self, h):
        return h[4]

    def nvmlDeviceGetEnforcedPowerLimit(self, h):
        return h[5]

    def nvmlDeviceGetMemoryInfo(self, h):
        return types.SimpleNamespace(used=h[6], total=h[7], free=h[7] - h[6])


@pytest.fixture
def fake_nvml(monkeypatch):
    nvml.reset()
    monkeypatch.setitem(sys.modules, "pynvml", FakeNvml())
    yield
    nvml.reset()


def test_bus_ids_from_nvml_and_torch_match():
    assert nvml.bus_key(b"00000000:3B:00.0") == nvml.bus_key("0000:3b:00.0") == (0, 0x3B, 0, 0)
    assert nvml.bus_key("garbage") is None


def test_device_report_maps_cuda_to_nvml_by_bus_not_index(two_gpus, fake_nvml):
    lines = devices.device_report(discover())
    assert lines[0] == "cpu"
    # cuda:0 is the H100 (NVML index 1): its figures, not the A10's.
    assert lines[1].startswith("cuda:0 NVIDIA H100 80GB HBM3 (80.0 GiB) · 97% busy")
    assert "71°C" in lines[1] and "650/700 W" in lines[1] and "70.0/80.0 GiB used" in lines[1]
    assert "5% busy" in lines[2] and "40°C" in lines[2]


def test_device_report_falls_back_to_uuid_without_a_bus_id(monkeypatch, fake_nvml):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    props = types.SimpleNamespace(name="NVIDIA A10", total_memory=24 * 2**30, uuid="bbbb-1")
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: props)
    assert "5% busy" in devices.device_report(discover())[1]


def test_device_report_without_nvml_shows_name_and_memory(two_gpus, monkeypatch):
    nvml.reset()
    monkeypatch.setitem(sys.modules, "pynvml", None)  # not installed
    try:
        lines = devices.device_report(discover())
    finally:
        nvml.reset()
    assert lines == [
        "cpu",
        "cuda:0 NVIDIA H100 80GB HBM3 (80.0 GiB)",
        "cuda:1 NVIDIA A10 (24.0 GiB)",
    ]


def test_devices_command_lists_them(two_gpus, monkeypatch, capsys):
    nvml.reset()
    monkeypatch.setitem(sys.modules, "pynvml", None)
    try:
        assert main(["devices"]) == 0
    finally:
        nvml.reset()
    out = capsys.readouterr().out.splitlines()
    assert out == ["cpu", "cuda:0 NVIDIA H100 80GB HBM3 (80.0 GiB)", "cuda:1 NVIDIA A10 (24.0 GiB)"]
