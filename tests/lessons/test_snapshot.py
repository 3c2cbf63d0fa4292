"""The namespace copies ``lessons check`` gives each wrong answer (``tui.lessons.snapshot``),
here on a stand-in IPython shell: the kernel side is covered by tests/cli/test_lesson_check."""

from __future__ import annotations

import copy
import types

import pytest
import torch
from torch import nn

from tui.lessons import snapshot


@pytest.fixture
def shell(monkeypatch):
    import IPython

    fake = types.SimpleNamespace(
        user_ns={"__name__": "__main__", "torch": torch}, user_ns_hidden={}
    )
    monkeypatch.setattr(IPython, "get_ipython", lambda: fake)
    snapshot.begin()
    yield fake
    snapshot._saved.clear()
    snapshot._saved_state.clear()


def test_one_memo_keeps_shared_objects_shared_and_modules_themselves():
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    got = snapshot._copy({"model": model, "opt": opt, "torch": torch, "nn": nn, "same": model})
    assert got["model"] is not model and got["same"] is got["model"]
    assert opt.param_groups[0]["params"][0] is model.weight
    assert got["opt"].param_groups[0]["params"][0] is got["model"].weight
    assert got["torch"] is torch and got["nn"] is nn


def test_a_tensor_in_a_graph_is_copied_onto_a_graph_of_its_own():
    leaf = torch.ones(3, requires_grad=True)
    mid = leaf * 2
    mid.retain_grad()
    loss = mid.sum()
    loss.backward(retain_graph=True)
    got = snapshot._copy({"leaf": leaf, "mid": mid, "loss": loss})
    for name in ("mid", "loss"):
        assert not got[name].is_leaf and got[name].requires_grad, name
        assert torch.equal(got[name].detach(), locals()[name].detach()), name
    assert got["mid"].retains_grad and torch.equal(got["mid"].grad, mid.grad)
    before = leaf.grad.clone()
    got["loss"].backward()  # reaches neither the original graph nor the copied leaf
    assert torch.equal(leaf.grad, before) and got["leaf"].grad is not leaf.grad
    with pytest.raises(RuntimeError):  # deepcopy itself is as it was
        copy.deepcopy(loss)


def test_fresh_copies_restore_gives_back_the_originals_and_the_random_state(shell):
    ns = shell.user_ns
    ns["model"] = nn.Linear(2, 1)
    ns["numbers"] = iter(range(5))
    ns["node"] = node = (torch.ones(1, requires_grad=True) * 2).grad_fn
    torch.manual_seed(3)
    assert snapshot.take() == [], "an autograd node is kept as it is"
    want = torch.rand(2)
    for _ in range(2):
        snapshot.fresh()
        assert ns["model"] is not snapshot._saved["model"]
        assert torch.equal(torch.rand(2), want), "each copy starts from the same random state"
        assert next(ns["numbers"]) == 0 and ns["node"] is node
        ns["model"].weight.data.fill_(7.0)
        ns["new"] = 1
    original = snapshot._saved["model"]
    snapshot.restore()
    assert ns["model"] is original and not torch.equal(original.weight, torch.full((1, 2), 7.0))
    assert "new" not in ns and next(ns["numbers"]) == 0
    assert torch.equal(torch.rand(2), want)
    assert ns["torch"] is torch


def test_what_cannot_be_copied_is_named_and_blank_goes_back_to_the_start(shell):
    ns = shell.user_ns
    ns["gen"] = (i for i in range(3))
    ns["nodes"] = [(torch.ones(1, requires_grad=True) * 2).grad_fn]
    ns["fine"] = [1, 2]
    assert sorted(snapshot.take()) == ["gen", "nodes"]
    snapshot.fresh()  # the checker's choice when nothing names them: shared
    assert ns["gen"] is snapshot._saved["gen"] and ns["fine"] is not snapshot._saved["fine"]
    snapshot.blank()
    assert set(ns) == {"__name__", "torch"}
    ns["gen"] = "rebuilt"
    snapshot.rewind()
    assert ns["gen"] == "rebuilt"
    snapshot.restore()
    assert next(ns["gen"]) == 0 and ns["fine"] == [1, 2]
