"""Live GPU figures (utilisation, temperature, power, memory) from NVML, when it is there.

nvidia-ml-py (``pip install 'torch-tui[nvml]'``, imported as ``pynvml``) is optional:
without it, or without a driver, every function here returns nothing and the device
list shows only what torch knows (name and total memory).

CUDA and NVML number GPUs differently: CUDA orders them fastest first (unless
CUDA_DEVICE_ORDER=PCI_BUS_ID) and renumbers what CUDA_VISIBLE_DEVICES leaves visible,
while NVML always lists every GPU in PCI order. So the two are matched by PCI bus id
(``bus_key``), never by index. This is the only module that imports pynvml.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_BUS_RE = re.compile(r"^(?:([0-9a-fA-F]+):)?([0-9a-fA-F]+):([0-9a-fA-F]+)(?:\.([0-9a-fA-F]+))?$")

_lock = threading.Lock()
_nvml: Any = None  # the pynvml module once nvmlInit succeeded
_failed = False


@dataclass(frozen=True)
class GpuStats:
    """One NVML reading of one GPU; a field is None when the driver does not report it."""

    utilisation: int | None = None  # percent of time a kernel ran
    temperature: int | None = None  # degrees C
    power_w: float | None = None
    power_limit_w: float | None = None
    memory_used: int | None = None  # bytes, all processes
    memory_total: int | None = None

    def describe(self) -> str:
        parts = []
        if self.utilisation is not None:
            parts.append(f"{self.utilisation}% busy")
        if self.memory_used is not None and self.memory_total:
            parts.append(f"{self.memory_used / 2**30:.1f}/{self.memory_total / 2**30:.1f} GiB used")
        if self.temperature is not None:
            parts.append(f"{self.temperature}°C")
        if self.power_w is not None:
            limit = f"/{self.power_limit_w:.0f}" if self.power_limit_w else ""
            parts.append(f"{self.power_w:.0f}{limit} W")
        return " · ".join(parts)


def bus_key(bus_id: str | bytes | None) -> tuple[int, int, int, int] | None:
    """(domain, bus, device, function) from either spelling of a PCI bus id.

    NVML says ``00000000:3B:00.0``, torch/CUDA ``0000:3b:00.0``; both give the same key.
    """
    if bus_id is None:
        return None
    if isinstance(bus_id, bytes):
        bus_id = bus_id.decode("ascii", "replace")
    m = _BUS_RE.match(bus_id.strip())
    if not m:
        return None
    domain, bus, dev, fn = m.groups()
    return (int(domain or "0", 16), int(bus, 16), int(dev, 16), int(fn or "0", 16))


def _init() -> Any:
    """The pynvml module with NVML initialised, or None (no package, no driver)."""
    global _nvml, _failed
    with _lock:
        if _nvml is not None or _failed:
            return _nvml
        try:
            import pynvml
        except ImportError:  # not installed: figures simply are absent
            _failed = True
            return None
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError:  # no driver, no GPU: the same
            _failed = True
            return None
        _nvml = pynvml
        return _nvml


def reset() -> None:
    """Forget the NVML state (tests; or after a driver comes back)."""
    global _nvml, _failed
    with _lock:
        _nvml, _failed = None, False


def _read(nv: Any, handle: Any) -> GpuStats:
    def ask(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(handle, *args)
        except nv.NVMLError:  # not supported by this GPU or driver: that figure is absent
            return None

    util = ask(nv.nvmlDeviceGetUtilizationRates)
    mem = ask(nv.nvmlDeviceGetMemoryInfo)
    temp = ask(nv.nvmlDeviceGetTemperature, getattr(nv, "NVML_TEMPERATURE_GPU", 0))
    power = ask(nv.nvmlDeviceGetPowerUsage)  # milliwatts
    limit = ask(nv.nvmlDeviceGetEnforcedPowerLimit)
    return GpuStats(
        utilisation=getattr(util, "gpu", None),
        temperature=temp,
        power_w=power / 1000 if power is not None else None,
        power_limit_w=limit / 1000 if limit is not None else None,
        memory_used=getattr(mem, "used", None),
        memory_total=getattr(mem, "total", None),
    )


def uuid_key(uuid: str | bytes | None) -> str | None:
    """A GPU uuid without NVML's ``GPU-`` prefix, lower case: torch and NVML then agree."""
    if uuid is None:
        return None
    if isinstance(uuid, bytes):
        uuid = uuid.decode("ascii", "replace")
    text = str(uuid).strip().lower()
    for prefix in ("gpu-", "mig-"):
        text = text.removeprefix(prefix)
    return text or None


def readings() -> list[tuple[tuple[int, int, int, int] | None, str | None, GpuStats]]:
    """(PCI bus key, uuid key, stats) for every GPU NVML sees; empty without NVML."""
    nv = _init()
    if nv is None:
        return []
    try:
        count = nv.nvmlDeviceGetCount()
    except nv.NVMLError:
        return []
    out = []
    for i in range(count):
        try:
            handle = nv.nvmlDeviceGetHandleByIndex(i)
        except nv.NVMLError:  # a GPU NVML may not touch (another container's, a lost one)
            continue
        try:
            bus = bus_key(nv.nvmlDeviceGetPciInfo(handle).busId)
        except nv.NVMLError:
            bus = None
        try:
            uuid = uuid_key(nv.nvmlDeviceGetUUID(handle))
        except nv.NVMLError:
            uuid = None
        out.append((bus, uuid, _read(nv, handle)))
    return out


def stats_for(ids: dict[str, tuple[str | None, str | None]]) -> dict[str, GpuStats]:
    """NVML figures for torch devices, given ``{"cuda:0": (pci_bus_id, uuid), ...}``.

    Matched by PCI bus id first, then by uuid; never by index (see the module notes).
    """
    found = readings()
    if not found:
        return {}
    by_bus = {bus: st for bus, _, st in found if bus is not None}
    by_uuid = {uuid: st for _, uuid, st in found if uuid is not None}
    out = {}
    for name, (bus, uuid) in ids.items():
        key, ukey = bus_key(bus), uuid_key(uuid)
        if key is not None and key in by_bus:
            out[name] = by_bus[key]
        elif ukey is not None and ukey in by_uuid:
            out[name] = by_uuid[ukey]
    return out
