"""Device names, parsed without torch, and discovered with it (in a worker, never at import).

``parse_device`` only checks the spelling (``cpu``, ``cuda``, ``cuda:N``, ``mps``) so the CLI
can refuse ``banana`` before torch is loaded; ``discover`` asks torch what is really there.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

log = logging.getLogger(__name__)

_DEVICE_RE = re.compile(r"^(cpu|mps|cuda)(?::(\d+))?$")


class DeviceError(ValueError):
    """A device string that is misspelt or names a device that is not there."""


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, e.g. under taskset or a
    container's cpuset), not the machine's total."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parse_device(text: str) -> str:
    """Normalise a device string or raise DeviceError with a one-line reason."""
    value = text.strip().lower()
    m = _DEVICE_RE.match(value)
    if not m:
        raise DeviceError(f"unknown device {text!r}: use cpu, cuda, cuda:N or mps")
    kind, index = m.groups()
    if index is not None and kind != "cuda":
        raise DeviceError(f"unknown device {text!r}: only cuda takes an index (cuda:N)")
    if kind == "cuda" and index is None:
        return "cuda:0"
    return value


@dataclass(frozen=True)
class DeviceInfo:
    """One device torch can use, as the UI lists it."""

    name: str  # "cpu", "cuda:0", "mps"
    label: str  # "cuda:0 NVIDIA H100 80GB HBM3 (79.1 GiB)"
    total_memory: int | None = None
    pci_bus_id: str | None = None  # "0000:3b:00.0": how NVML's figures are matched to it
    uuid: str | None = None


def _pci_bus_id(props: object) -> str | None:
    """The PCI bus id torch reports (newer builds), as ``domain:bus:device.0``."""
    bus = getattr(props, "pci_bus_id", None)
    if isinstance(bus, str):
        return bus or None
    if isinstance(bus, int):
        domain = getattr(props, "pci_domain_id", 0) or 0
        dev = getattr(props, "pci_device_id", 0) or 0
        return f"{domain:04x}:{bus:02x}:{dev:02x}.0"
    return None


def discover() -> list[DeviceInfo]:
    """Devices torch sees. Imports torch: call from a worker thread."""
    import torch

    found = [DeviceInfo("cpu", "cpu")]
    try:
        if torch.cuda.is_available():
            for i in range(torch.cuda.device_count()):
                props = torch.cuda.get_device_properties(i)
                gib = props.total_memory / 2**30
                uuid = getattr(props, "uuid", None)
                found.append(
                    DeviceInfo(
                        f"cuda:{i}",
                        f"cuda:{i} {props.name} ({gib:.1f} GiB)",
                        props.total_memory,
                        _pci_bus_id(props),
                        str(uuid) if uuid else None,
                    )
                )
    except Exception as exc:  # noqa: BLE001 - a broken driver must not stop the app
        log.warning("no CUDA devices listed: %s: %s", type(exc).__name__, exc)
    try:
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            found.append(DeviceInfo("mps", "mps (Apple GPU)"))
    except Exception as exc:  # noqa: BLE001 - the same for Apple's GPU
        log.warning("no mps device listed: %s: %s", type(exc).__name__, exc)
    return found


def resolve(requested: str, available: list[DeviceInfo]) -> tuple[str, str | None]:
    """The device to use and, when it had to fall back to cpu, a message saying why."""
    reason = missing_reason(requested, available)
    if reason is None:
        return requested, None
    return "cpu", f"{reason}; using cpu"


def missing_reason(requested: str, available: list[DeviceInfo]) -> str | None:
    """None when ``requested`` is there, else one line saying what there is instead."""
    names = [d.name for d in available]
    if requested in names:
        return None
    have = ", ".join(names)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    hint = f"; CUDA_VISIBLE_DEVICES={visible}" if requested.startswith("cuda") and visible else ""
    return f"device {requested} is not available (have: {have}{hint})"


def check_requested(requested: str | None) -> str | None:
    """For the CLI: None when the device is there (or is cpu), else the one-line reason.

    Imports torch, but only when a GPU was asked for: the user is waiting for one anyway.
    """
    if requested is None:
        return None
    try:
        requested = parse_device(requested)
    except DeviceError:
        return None  # misspelt: the option's own validation says so
    if requested == "cpu":
        return None
    return missing_reason(requested, discover())


def device_report(devices: list[DeviceInfo] | tuple[DeviceInfo, ...]) -> list[str]:
    """One line per device: name and memory, plus NVML's live figures for GPUs when present."""
    from tui.platform import nvml

    ids = {d.name: (d.pci_bus_id, d.uuid) for d in devices if d.name.startswith("cuda")}
    stats = nvml.stats_for(ids) if ids else {}
    lines = []
    for d in devices:
        extra = stats[d.name].describe() if d.name in stats else ""
        lines.append(f"{d.label} · {extra}" if extra else d.label)
    return lines


@dataclass(frozen=True)
class TorchInfo:
    """What the app learns once torch is imported."""

    version: str
    devices: tuple[DeviceInfo, ...]
    device: str  # the device in use
    warning: str | None = None  # e.g. a fallback to cpu

    def summary(self) -> str:
        names = ", ".join(d.label for d in self.devices)
        return f"torch {self.version} · devices: {names} · using {self.device}"


def default_device(available: list[DeviceInfo]) -> str:
    """The best device present: the first GPU, else mps, else cpu."""
    names = [d.name for d in available]
    for name in names:
        if name.startswith("cuda"):
            return name
    return "mps" if "mps" in names else "cpu"


def load_torch(requested: str | None) -> TorchInfo:
    """Import torch and settle the device. Slow (about a second): call from a worker."""
    import torch

    available = discover()
    if requested is None:
        device, warning = default_device(available), None
    else:
        device, warning = resolve(requested, available)
    return TorchInfo(torch.__version__, tuple(available), device, warning)
