"""The inspector's summaries: what a learner reads on a card, across dtypes and shapes."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from tui.tensors import cards, objects
from tui.tensors import summaries as core


def card(t, **kw):
    return core.tensor_card(t, "x", **kw)


def test_float_matrix_card_has_facts_stats_and_values():
    c = card(torch.arange(12.0).reshape(3, 4) * 2)
    assert c.shape_text == "(3, 4)"
    assert (c.dtype, c.device, c.layout) == ("float32", "cpu", "strided")
    assert (c.numel, c.nbytes, c.stride, c.contiguous) == (12, 48, [4, 1], True)
    assert (c.requires_grad, c.is_leaf, c.grad_fn, c.has_grad) == (False, True, None, False)
    s = c.stats
    assert (s.min, s.max, s.mean, s.nan, s.inf) == (0.0, 22.0, 11.0, 0, 0)
    assert s.std == pytest.approx(torch.arange(12.0).mul(2).std().item())
    assert c.preview.cells[1] == ["8.0", "10.0", "12.0", "14.0"]
    assert c.preview.row_labels == ["0", "1", "2"]
    assert c.histogram is not None and sum(c.histogram.counts) == 12


def test_zero_d_tensor():
    c = card(torch.tensor(3.5))
    assert c.shape_text == "()" and c.stride == []
    assert c.stats.min == c.stats.max == c.stats.mean == 3.5 and c.stats.std is None
    assert c.preview.cells == [["3.5"]]


def test_empty_tensor_says_so():
    c = card(torch.empty(0, 3))
    assert c.numel == 0 and c.stats.note == "empty tensor" and c.stats.min is None
    assert c.histogram is None


def test_bool_tensor_counts_true():
    c = card(torch.tensor([True, False, True, True]))
    assert c.stats.mean == 0.75 and c.stats.min is False and c.stats.max is True
    assert c.preview.cells == [["T", "F", "T", "T"]]
    assert c.histogram is None


def test_int_tensor_exact_min_max():
    c = card(torch.arange(-5, 20, dtype=torch.int32))
    assert (c.stats.min, c.stats.max) == (-5, 19)
    assert c.stats.mean == pytest.approx(7.0)
    assert c.preview.cells[0][0] == "-5" and "…" in c.preview.cells[0]
    # 25 values fit in the bins: one bin per integer, edges between them.
    h = c.histogram
    assert h is not None and h.whole and (h.lo, h.hi) == (-5.5, 19.5)
    assert h.counts == [1] * 25


def test_int_histogram_counts_each_value_in_its_own_bin():
    t = torch.tensor([0, 0, 0, 2, 2, 5])
    h = card(t).histogram
    assert h.whole and h.counts == [3, 0, 2, 0, 0, 1] and (h.lo, h.hi) == (-0.5, 5.5)
    wide = card(torch.arange(-500, 500)).histogram  # more values than bins: min/max kept
    assert sum(wide.counts) == 1000 and (wide.lo, wide.hi) == (-500.5, 499.5)


def test_uint8_and_float16_work():
    assert card(torch.tensor([0, 255], dtype=torch.uint8)).stats.max == 255
    h = card(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float16))
    assert h.dtype == "float16" and h.stats.mean == pytest.approx(2.0)


def test_complex_stats_are_of_magnitudes():
    c = card(torch.tensor([3 + 4j, 0 + 1j]))
    assert c.dtype == "complex64" and c.stats.of == "|z|"
    assert (c.stats.min, c.stats.max) == (pytest.approx(1.0), pytest.approx(5.0))
    assert c.preview.cells[0][0] == "3.0+4.0j"


def test_nan_and_inf_are_counted_and_stats_use_finite_values():
    c = card(torch.tensor([1.0, float("nan"), float("inf"), -float("inf"), 3.0]))
    assert (c.stats.nan, c.stats.inf) == (1, 2)
    assert (c.stats.min, c.stats.max, c.stats.mean) == (1.0, 3.0, 2.0)
    assert c.stats.of == "finite values"
    assert "nan" in c.preview.cells[0]


def test_non_contiguous_tensor():
    c = card(torch.arange(6.0).reshape(2, 3).t())
    assert c.contiguous is False and c.stride == [1, 3]
    assert c.preview.cells[0] == ["0.0", "3.0"]


def test_requires_grad_leaf_grad_and_grad_fn():
    w = torch.ones(2, requires_grad=True)
    y = (w * 3).sum()
    assert card(w).requires_grad and card(w).is_leaf and not card(w).has_grad
    assert card(y).grad_fn == "SumBackward0" and not card(y).is_leaf
    y.backward()
    assert card(w).has_grad


def test_nd_preview_navigates_slices():
    t = torch.arange(24.0).reshape(2, 3, 4)
    p = core.tensor_preview(t)
    assert p.lead_shape == [2] and p.index == [0] and p.slice_count == 2
    p1 = core.tensor_preview(t, [1])
    assert p1.cells[0][0] == "12.0" and p1.slice_label == "[1, :, :]"
    assert core.tensor_preview(t, [99]).index == [1]  # clamped, never an IndexError


def test_big_tensor_moves_only_a_corner_to_the_host(monkeypatch):
    sizes = []
    real = core._to_host

    def counting(t):
        sizes.append(t.numel())
        return real(t)

    monkeypatch.setattr(core, "_to_host", counting)
    c = card(torch.randn(2048, 2048))
    assert c.preview.cells[cards.PREVIEW_EDGE][0] == "⋮"
    assert len(c.preview.cells[0]) == 2 * cards.PREVIEW_EDGE + 1
    assert max(sizes) <= max(cards.HIST_BINS, (2 * cards.PREVIEW_EDGE) ** 2)
    assert sum(c.histogram.counts) * c.histogram.step >= 2048 * 2048 - c.histogram.step
    assert c.stats.std == pytest.approx(1.0, abs=0.01)


def test_big_tensor_std_survives_a_large_mean():
    t = torch.randn(1200, 1000) + 1e4
    assert core.tensor_stats(t).std == pytest.approx(t.double().std().item(), rel=1e-3)


def test_stats_reduce_on_the_tensors_device(monkeypatch):
    """A CUDA tensor, mocked: reductions run where the tensor lives; only scalars move."""
    moved = []
    real = core._to_host

    def to_host(t):
        moved.append((str(t.device), t.numel()))
        return real(t)

    monkeypatch.setattr(core, "_to_host", to_host)
    core.tensor_stats(torch.randn(300, 300))
    assert moved and all(n <= 4 for _, n in moved)
    assert cards.format_device(torch.device("cuda", 1)) == "cuda:1"


def test_meta_and_sparse_tensors_are_handled():
    m = card(torch.empty(3, 4, device="meta"))
    assert m.device == "meta" and "no data" in m.stats.note and m.preview is None
    s = card(torch.eye(3).to_sparse())
    assert s.layout == "sparse_coo" and s.stride is None and s.stats.of == "stored values"
    assert s.preview.cells[0][0] == "1.0"


def test_module_card_counts_shared_parameters_once():
    a = torch.nn.Linear(4, 4)
    b = torch.nn.Linear(4, 4, bias=False)
    b.weight = a.weight  # tied
    m = torch.nn.Sequential(a, torch.nn.ReLU(), b)
    a.bias.requires_grad_(False)
    mc = objects.module_card(m, "model")
    assert mc.total == 20 and mc.trainable == 16 and mc.frozen == 4
    assert mc.nbytes == 80
    assert [(r.depth, r.name, r.type_name) for r in mc.layers] == [
        (0, "model", "Sequential"),
        (1, "0", "Linear"),
        (1, "1", "ReLU"),
        (1, "2", "Linear"),
    ]
    assert "in_features=4" in mc.layers[1].detail


def test_optimizer_card_lists_groups_and_hyperparameters():
    m = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(
        [{"params": [m.weight]}, {"params": [m.bias], "lr": 0.5}], lr=0.1, momentum=0.9
    )
    oc = objects.optimizer_card(opt, "opt")
    assert oc.type_name == "SGD" and len(oc.groups) == 2
    assert (oc.groups[0].tensors, oc.groups[0].numel) == (1, 6)
    assert dict(oc.groups[0].hyper)["lr"] == "0.1" and dict(oc.groups[1].hyper)["lr"] == "0.5"
    assert dict(oc.groups[0].hyper)["momentum"] == "0.9"


def test_autograd_graph_labels_leaves_by_variable_name():
    x = torch.randn(3, requires_grad=True)
    model = torch.nn.Linear(3, 1)
    y = model(x * 2).sum()
    g = core.autograd_graph(y, {"x": x, "model": model, "y": y})
    labels = [n.label for n in g.nodes]
    assert labels[0] == "SumBackward0"
    assert any(lab.startswith("AccumulateGrad x ") for lab in labels)
    assert any("model.weight" in lab for lab in labels) and any(
        "model.bias" in lab for lab in labels
    )
    assert all(n.parent < i for i, n in enumerate(g.nodes))


def test_deep_graph_is_capped_without_recursion_error():
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    g = core.autograd_graph(y, {"x": x})
    assert g.truncated and len(g.nodes) == cards.AUTOGRAD_NODE_CAP
    assert core.tensor_card(y, "y", namespace={"x": x}).graph.truncated


def test_shared_graph_nodes_are_marked_not_expanded_twice():
    x = torch.ones(2, requires_grad=True)
    h = x * 2
    y = (h + h).sum()
    g = core.autograd_graph(y, {"x": x})
    assert sum(n.repeat for n in g.nodes) == 1


def test_list_variables_lists_the_learners_objects():
    import numpy as np

    m = torch.nn.Linear(2, 2)
    ns = {
        "torch": torch,
        "device": "cpu",
        "x": torch.zeros(2, 3),
        "m": m,
        "opt": torch.optim.Adam(m.parameters()),
        "a": np.zeros((4,), dtype=np.float64),
        "n": 3,
        "_hidden": torch.zeros(1),
    }
    rows = {r.name: r for r in objects.list_variables(ns)}
    assert set(rows) == {"x", "m", "opt", "a"}
    assert (rows["x"].kind, rows["x"].shape, rows["x"].dtype, rows["x"].device) == (
        "tensor",
        "(2, 3)",
        "float32",
        "cpu",
    )
    assert rows["m"].kind == "Linear" and rows["m"].shape == "6 params"
    assert rows["a"].kind == "ndarray" and rows["a"].dtype == "float64"


def test_results_holding_tensors_get_a_card_each_capped():
    found, more = objects.find_cardables((torch.zeros(1), 3, torch.ones(2)), "Out[1]")
    assert [t for t, _ in found] == ["Out[1][0]", "Out[1][2]"] and more == 0
    found, more = objects.find_cardables({"a": torch.zeros(1)}, "Out[2]")
    assert found[0][0] == "Out[2]['a']"
    found, more = objects.find_cardables([torch.zeros(1)] * 20, "Out[3]")
    assert len(found) == cards.MAX_RESULT_CARDS and more == 20 - cards.MAX_RESULT_CARDS


def test_watches_evaluate_and_errors_are_text():
    ns = {"torch": torch, "w": torch.tensor([1.0, 2.0])}
    ok = objects.evaluate_watch("w * 2", ns)
    assert ok.ok and "(2,) float32" in ok.text and "2.0 4.0" in ok.text
    bad = objects.evaluate_watch("missing + 1", ns)
    assert not bad.ok and bad.text.startswith("NameError")
    assert objects.evaluate_watch("1 +", ns).text.startswith("SyntaxError")
    ns["missing"] = 1
    assert objects.evaluate_watch("missing + 1", ns).text == "2"  # recovers once defined


def _cell(number, result=None, error=None, source=""):
    info = SimpleNamespace(raw_cell=source)
    return SimpleNamespace(
        execution_count=number,
        result=result,
        error_in_exec=error,
        error_before_exec=None,
        info=info,
    )


def test_the_agent_builds_cards_variables_and_watches():
    from tui.agent.after_cell import CellWatcher

    ns: dict = {}
    cells = CellWatcher(ns)
    cells.watches = ("x.sum()", "1/0")
    cells.before()
    ns["x"] = torch.arange(12.0).reshape(3, 4)
    p = cells.after(_cell(1))  # an assignment has no result: the assigned tensor's card
    assert [c.title for c in p.cards] == ["x"] and p.changed == ["x"]
    cells.before()
    p = cells.after(_cell(2, result=ns["x"] * 2))
    assert [c.title for c in p.cards] == ["Out[2]"] and p.cards[0].shape == [3, 4]
    assert [v.name for v in p.variables] == ["x"]
    assert p.watches[0].ok and "66.0" in p.watches[0].text
    assert not p.watches[1].ok and "ZeroDivisionError" in p.watches[1].text
    assert p.checks is None  # no exercises set
    # slices come back while the object lives; a key never given is None
    key = cells.card_for_name("x").key
    assert cells.preview(key, []).cells[0][1] == "1.0"
    assert cells.preview(10_000, []) is None


def test_the_agent_keeps_nothing_alive():
    import gc
    import weakref

    from tui.agent.after_cell import CellWatcher

    ns: dict = {}
    cells = CellWatcher(ns)
    cells.before()
    ns["x"] = torch.ones(1000)
    ref = weakref.ref(ns["x"])
    p = cells.after(_cell(1))
    key = p.cards[0].key
    assert cells.preview(key, []) is not None
    del ns["x"]
    gc.collect()
    assert ref() is None, "a card must not keep its tensor alive"
    assert cells.preview(key, []) is None


def test_format_number():
    assert cards.format_number(None) == "-"
    assert cards.format_number(2.0) == "2.0"
    assert cards.format_number(math.pi) == "3.142"
    assert cards.format_number(float("-inf")) == "-inf"
    assert cards.format_bytes(64 * 2**20) == "64.0 MiB"
