"""The shipped checks of lessons 07, 08, 10 and 11 accept every correct style, not only the
solution's: each answer below runs, in-process, from a copy of the namespace at its
exercise (the lesson's blocks and earlier solutions run first), and must pass the check.
The wrong answers are the lessons' own ```python wrong fences, run by ``lessons check``."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from tui.lessons import snapshot
from tui.lessons.exercises import run_check
from tui.lessons.library import load_lessons, shipped_lessons_dir

RIGHT: dict[str, dict[str, list[str]]] = {
    "07-neural-networks": {
        "your-own-neuron": ["w2 = torch.tensor([2.0, 0.0, -1.0])\nb2 = 0.5\nz2 = w2 @ x + b2"],
        "a-layer-of-two-neurons": [
            "W1 = W[:2].clone()\nb1 = torch.ones(2)\nH1 = (W1 @ X.T).T + b1",
        ],
        "relu-by-hand": [
            "def my_relu(t):\n    return t * (t > 0)",
            "def my_relu(t):\n    return (t + t.abs()) / 2",
            "def my_relu(t):\n    return torch.maximum(t, torch.zeros_like(t))",
            "def my_relu(t):\n    out = t.clone()\n    out[out < 0] = 0\n    return out",
            "my_relu = lambda t: t.masked_fill(t < 0, 0)",
        ],
        "run-the-network": ["probs = forward(X)\nn_positive = (probs > 0.5).sum().item()"],
        "mean-absolute-error": [
            "mae = lambda p, t: torch.mean(torch.abs(p - t))\n"
            "mae_loss = mae(predictions, targets).item()",
        ],
        "keep-stepping": [
            "w_final = torch.tensor(0.5, requires_grad=True)\nfor _ in range(20):\n"
            "    loss_of(w_final).backward()\n    with torch.no_grad():\n"
            "        w_final -= lr * w_final.grad\n    w_final.grad = None\n"
            "w_final = w_final.detach()",
            "w_final = torch.tensor(0.5, dtype=torch.float64)\nfor _ in range(20):\n"
            "    w_final = w_final - lr * 2 * ((w_final * xs - ys) * xs).mean()",
        ],
    },
    "08-pytorch-intro": {
        "make-a-matrix": [
            "grid = torch.ones((2, 5), dtype=torch.float32)",
            "grid = torch.full((2, 5), 1.0)",
        ],
        "reshape-and-reduce": ["cube = torch.arange(24).view(2, 3, 4)\nrow_sums = cube.sum(2)"],
        "your-own-derivative": [
            "w = torch.tensor(2.0, requires_grad=True)\nf = w * w * w\nf.backward()",
            "w = torch.tensor([2.0], requires_grad=True)\nf = torch.pow(w, 3)\nf.backward()",
        ],
        "a-wider-network": [
            "wide = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())\n"
            "n_params = sum(p.numel() for p in wide.parameters() if p.requires_grad)",
        ],
        "solve-xor": [
            "torch.manual_seed(1)\n"
            "model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())\n"
            "opt = torch.optim.Adam(model.parameters(), lr=0.05)\nfor _ in range(500):\n"
            "    opt.zero_grad()\n    nn.BCELoss()(model(X), y).backward()\n    opt.step()",
        ],
    },
    "10-broadcasting-indexing": {
        "a-times-table": [
            "n = torch.arange(1, 11)\ntable = n[:, None] * n[None, :]",
            "table = torch.outer(torch.arange(1, 11), torch.arange(1, 11)).float()",
        ],
        "pairwise-distances": [
            "D = ((P.unsqueeze(1) - P.unsqueeze(0)) ** 2).sum(-1)",
            "D = torch.cdist(P, P) ** 2",
        ],
        "a-shape-safe-mse": [
            "def safe_mse(pred, target):\n    return ((pred.view_as(target) - target) ** 2).mean()",
            "def safe_mse(pred, target):\n    return F.mse_loss(pred.reshape(target.shape), target)",
            "def safe_mse(pred, target):\n    return ((pred.flatten() - target) ** 2).mean()",
        ],
        "per-class-means": [
            "class1 = feats[labels == 1]\n"
            "class_means = torch.zeros(3, 3).index_add_(0, labels, feats)"
            " / torch.bincount(labels)[:, None]",
        ],
        "cross-entropy-by-hand": [
            "def my_ce(logits, labels):\n"
            "    picked = logits.gather(1, labels[:, None]).squeeze(1)\n"
            "    return (torch.logsumexp(logits, dim=1) - picked).mean()",
            "def my_ce(logits, labels):\n"
            "    return -torch.log_softmax(logits, 1).gather(1, labels.view(-1, 1)).mean()",
        ],
        "a-view-and-a-copy": [
            "col_view = board.T[1]\ncol_copy = board[:, 1].contiguous()",
            "col_view = board.view(12)[1::4]\ncol_copy = board[:, 1] + 0",
        ],
    },
    "11-autograd-in-depth": {
        "walk-the-graph": [
            "def graph_ops(t):\n    seen = set()\n    def visit(node):\n"
            "        if node is None or node in seen:\n            return\n"
            "        seen.add(node)\n        for nxt, _ in node.next_functions:\n"
            "            visit(nxt)\n    visit(t.grad_fn)\n"
            "    return {type(n).__name__ for n in seen}",
        ],
        "keep-an-intermediate-gradient": [
            "u = torch.tensor([1.0, 2.0], requires_grad=True)\nv = 3 * u\nv.retain_grad()\n"
            "out_v = v.pow(2).sum()\nout_v.backward()",
        ],
        "stop-the-gradient": [
            "def stopped_square(t):\n    return t.detach() * t\n"
            "ws = torch.tensor(3.0, requires_grad=True)\nsg = stopped_square(ws)\nsg.backward()",
            "def stopped_square(t):\n    return t * t.clone().detach()\n"
            "ws = torch.tensor(3.0, requires_grad=True)\nsg = stopped_square(ws)\nsg.backward()",
        ],
        "accumulate-over-micro-batches": [
            "def accumulate(model, X, y, n_micro):\n    model.zero_grad()\n"
            "    for xm, ym in zip(X.chunk(n_micro), y.chunk(n_micro)):\n"
            "        loss = nn.MSELoss()(model(xm), ym) / n_micro\n        loss.backward()\n"
            "acc_model = nn.Linear(4, 1)\naccumulate(acc_model, Xa, ya, 4)",
        ],
        "x-cubed-by-hand": [
            # the setup_context style of PyTorch 2
            "class Cube(torch.autograd.Function):\n    @staticmethod\n    def forward(x):\n"
            "        return x ** 3\n\n    @staticmethod\n"
            "    def setup_context(ctx, inputs, output):\n        (x,) = inputs\n"
            "        ctx.save_for_backward(x)\n\n    @staticmethod\n"
            "    def backward(ctx, grad_out):\n        (x,) = ctx.saved_tensors\n"
            "        return grad_out * 3 * x ** 2",
            # saves the output as well, and uses both
            "class Cube(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n"
            "        y = x ** 3\n        ctx.save_for_backward(x, y)\n        return y\n\n"
            "    @staticmethod\n    def backward(ctx, grad_out):\n"
            "        x, y = ctx.saved_tensors\n        return grad_out * 3 * x * x",
        ],
    },
}

#: Wrong answers a learner could give that the checks must reject with a teaching
#: message (not a crash of the check itself).
TOLD: dict[str, dict[str, list[tuple[str, str]]]] = {
    "08-pytorch-intro": {
        "solve-xor": [("model = nn.Identity()", "hidden layer has 0 neurons")],
    },
}


def _quiet(code: str, ns: dict[str, Any], name: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, name, "exec"), ns)  # noqa: S102 - the shipped lessons' own code


def _copy(ns: dict[str, Any]) -> dict[str, Any]:
    own = {
        k: v
        for k, v in ns.items()
        if not k.startswith("__") and k not in START and not snapshot._is_graph_node(v)
    }
    return {**ns, **snapshot._copy(own)}


START = {"torch": torch, "nn": torch.nn, "F": F, "np": np, "device": torch.device("cpu")}


@pytest.mark.parametrize("lesson_id", sorted(RIGHT))
def test_every_correct_style_passes_the_check(lesson_id):
    (lesson,) = [ls for ls in load_lessons([shipped_lessons_dir()]) if ls.id == lesson_id]
    answers, told = RIGHT[lesson_id], TOLD.get(lesson_id, {})
    assert set(answers) <= {ex.id for ex in lesson.exercises}
    ns: dict[str, Any] = {"__name__": "__main__", **START}
    tried = 0
    for kind, item in lesson.items_in_order():
        if kind == "block":
            _quiet(item.code, ns, f"block {item.line}")
            continue
        state = torch.get_rng_state()
        for code in answers.get(item.id, []):
            mine = _copy(ns)
            torch.set_rng_state(state)
            _quiet(code, mine, "answer")
            result = run_check(item, mine, time_limit=30)
            assert result.passed, f"{item.id}: {code!r} is right, but: {result.message}"
            tried += 1
        for code, message in told.get(item.id, []):
            mine = _copy(ns)
            _quiet(code, mine, "answer")
            result = run_check(item, mine, time_limit=30)
            assert not result.passed and message in result.message, (item.id, result)
        torch.set_rng_state(state)
        _quiet(item.solution or "", ns, f"solution {item.id}")
    assert tried == sum(len(v) for v in answers.values())
