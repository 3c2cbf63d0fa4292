"""Playground data sets, made in torch from a seed (no downloads, no files).

Each maker returns ``(X, y)`` on the cpu: ``X`` float32 ``(N, features)``; ``y`` float32
``(N, 1)`` for binary sets and regression, int64 ``(N,)`` for the multi-class ones. The
same seed always gives the same tensors, so a run can be repeated exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import torch


@dataclass(frozen=True)
class DatasetSpec:
    """What the trainer needs to know about a set before it builds the model and the loss."""

    name: str
    description: str
    in_features: int
    task: str  # "binary", "multiclass" or "regression"
    classes: int  # output width of the model (1 for binary and regression)
    two_d: bool  # a decision-boundary view makes sense


def _gen(seed: int) -> torch.Generator:
    import torch

    g = torch.Generator()
    g.manual_seed(seed)
    return g


def xor4(samples: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The seed lesson's four XOR points (samples and noise are ignored)."""
    import torch

    X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
    y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)
    return X, y


def noisy_xor(samples: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Points in [-1, 1]^2 labelled by the sign of x*y, with label noise as jitter."""
    import torch

    g = _gen(seed)
    X = torch.rand(samples, 2, generator=g) * 2 - 1
    y = ((X[:, 0] * X[:, 1]) < 0).float().unsqueeze(1)
    X = X + noise * torch.randn(samples, 2, generator=g)
    return X, y


def circles(samples: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """An inner disc (class 1) inside a ring (class 0)."""
    import torch

    g = _gen(seed)
    half = samples // 2
    radius = torch.cat(
        [torch.rand(half, generator=g) * 0.5, 0.7 + torch.rand(samples - half, generator=g) * 0.3]
    )
    angle = torch.rand(samples, generator=g) * 2 * math.pi
    X = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], 1)
    X = X + noise * torch.randn(samples, 2, generator=g)
    y = torch.cat([torch.ones(half), torch.zeros(samples - half)]).unsqueeze(1)
    return X, y


def moons(samples: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaving half circles."""
    import torch

    g = _gen(seed)
    half = samples // 2
    t1 = torch.rand(half, generator=g) * math.pi
    t2 = torch.rand(samples - half, generator=g) * math.pi
    a = torch.stack([torch.cos(t1), torch.sin(t1)], 1)
    b = torch.stack([1 - torch.cos(t2), 0.5 - torch.sin(t2)], 1)
    X = torch.cat([a, b]) - torch.tensor([0.5, 0.25])
    X = X + noise * torch.randn(samples, 2, generator=g)
    y = torch.cat([torch.zeros(half), torch.ones(samples - half)]).unsqueeze(1)
    return X, y


def spiral(samples: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Three interleaved spiral arms: a three-class problem."""
    import torch

    g = _gen(seed)
    k = 3
    labels = torch.arange(samples) % k
    r = torch.rand(samples, generator=g)
    theta = r * 4.0 + labels * (2 * math.pi / k)
    X = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], 1)
    X = X + noise * torch.randn(samples, 2, generator=g)
    return X, labels.long()


def blobs(samples: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Four gaussian blobs, one per class."""
    import torch

    g = _gen(seed)
    centres = torch.tensor([[-0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [0.5, -0.5]])
    labels = torch.arange(samples) % 4
    X = centres[labels] + (0.15 + noise) * torch.randn(samples, 2, generator=g)
    return X, labels.long()


def regression(samples: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """y = sin(3x) + noise on x in [-1, 1]: a curve for an MLP to fit."""
    import torch

    g = _gen(seed)
    x = torch.rand(samples, 1, generator=g) * 2 - 1
    y = torch.sin(3 * x) + noise * torch.randn(samples, 1, generator=g)
    return x, y


def synthetic_mnist(samples: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """784-feature, 10-class random data shaped like MNIST: for speed tests, not learning."""
    import torch

    g = _gen(seed)
    labels = torch.randint(0, 10, (samples,), generator=g)
    protos = torch.randn(10, 784, generator=g)
    X = protos[labels] + (1.0 + noise) * torch.randn(samples, 784, generator=g)
    return X, labels


MakeFn = Callable[[int, float, int], "tuple[torch.Tensor, torch.Tensor]"]

DATASETS: dict[str, tuple[DatasetSpec, MakeFn]] = {
    "xor": (DatasetSpec("xor", "the seed lesson's 4 XOR points", 2, "binary", 1, True), xor4),
    "noisy-xor": (DatasetSpec("noisy-xor", "noisy XOR quadrants", 2, "binary", 1, True), noisy_xor),
    "circles": (DatasetSpec("circles", "a disc inside a ring", 2, "binary", 1, True), circles),
    "moons": (DatasetSpec("moons", "two interleaved moons", 2, "binary", 1, True), moons),
    "spiral": (DatasetSpec("spiral", "three spiral arms", 2, "multiclass", 3, True), spiral),
    "blobs": (DatasetSpec("blobs", "four gaussian blobs", 2, "multiclass", 4, True), blobs),
    "regression": (
        DatasetSpec("regression", "1-D curve y = sin(3x)", 1, "regression", 1, False),
        regression,
    ),
    "mnist-synth": (
        DatasetSpec("mnist-synth", "synthetic 784-d, 10 classes", 784, "multiclass", 10, False),
        synthetic_mnist,
    ),
}


def make(name: str, samples: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    spec, fn = DATASETS[name]
    return fn(samples, noise, seed)
