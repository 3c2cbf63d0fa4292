"""Live filter pictures: a run of a model with a Conv2d sends a picture of its first
Conv2d's filters only while the app says they are shown (``TrainView``), at most twice a
second, and nothing when they are hidden or unchanged. ``FilterFeed`` with a fake clock,
then the agent's TrainService (no kernel) with a tiny CNN on 1x8x8 inputs."""

from __future__ import annotations

import contextvars
import threading
import time
import types

import torch
from torch import nn

from tui.agent.train_runs import TrainService
from tui.protocol import messages as p
from tui.tensors.objects import first_conv
from tui.training.filter_snapshots import FILTERS_EVERY, FilterFeed


def _cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 2)
    )


# -- FilterFeed, on a fake clock ------------------------------------------------------------
def test_the_feed_sends_only_while_shown_at_most_every_half_second_and_only_changes():
    model = _cnn()
    room: list = [None]
    feed = FilterFeed(model, lambda: room[0])
    assert feed.take(0.0) is None  # hidden: nothing, however long
    assert feed.take(10.0) is None
    room[0] = (20, 6)
    first = feed.take(10.1)  # shown: at once
    assert first is not None and first.kind == "grid" and first.note == "4 filters"
    assert first.width <= 20 and first.height <= 12
    with torch.no_grad():
        model[0].weight.mul_(-1)
    assert feed.take(10.1 + FILTERS_EVERY / 2) is None  # too soon
    second = feed.take(10.1 + FILTERS_EVERY)
    assert second is not None and second.data != first.data
    assert feed.take(10.1 + 3 * FILTERS_EVERY) is None  # the weights did not change
    room[0] = None
    assert feed.take(20.0) is None
    room[0] = (20, 6)  # shown again: the same picture goes out again, the app may need it
    assert feed.take(30.0) is not None


def test_no_conv_no_picture_and_the_first_conv_is_found_inside():
    mlp = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    assert first_conv(mlp) is None
    assert FilterFeed(mlp, lambda: (20, 6)).take(0.0) is None

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 8, 5), nn.Conv2d(8, 8, 3))

    net = Net()
    assert first_conv(net) is net.features[0]


# -- the agent's TrainService, reports over a fake comm --------------------------------------
class FakeComm:
    def __init__(self) -> None:
        self.sent: list[tuple[float, object]] = []
        self.lock = threading.Lock()

    def send(self, data) -> None:
        message = p.decode(data)  # the app's decoder checks every picture
        with self.lock:
            self.sent.append((time.monotonic(), message))

    def reports(self) -> list[tuple[float, p.TrainReport]]:
        with self.lock:
            return [(t, m) for t, m in self.sent if isinstance(m, p.TrainReport)]

    def of(self, kind: type) -> list:
        with self.lock:
            return [m for _, m in self.sent if isinstance(m, kind)]


class FakeAgent:
    def __init__(self, ns: dict) -> None:
        self.comm = FakeComm()
        self._handlers: dict = {}
        self.cells = types.SimpleNamespace(training_model=None)
        self.shell = types.SimpleNamespace(user_ns=ns)

    def spawn(self, target, name):
        thread = threading.Thread(
            target=contextvars.copy_context().run, args=(target,), name=name, daemon=True
        )
        thread.start()
        return thread


def _until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _reports_after(comm: FakeComm, seen: int, more: int) -> list[tuple[float, p.TrainReport]]:
    _until(lambda: len(comm.reports()) >= seen + more)
    return comm.reports()[seen:]


def test_a_cnn_run_sends_its_filters_only_while_shown_and_at_most_twice_a_second():
    torch.manual_seed(0)
    ns = {"model": _cnn(), "X": torch.randn(64, 1, 8, 8), "y": torch.randint(0, 2, (64,))}
    agent = FakeAgent(ns)
    service = TrainService(agent)
    comm = agent.comm
    service.start(p.TrainStart(run_id=1, source="repl", config={"steps": 10**8}))
    _until(lambda: comm.of(p.TrainBegun))
    assert comm.of(p.TrainBegun)[0].conv
    hidden = _reports_after(comm, 0, 8)  # about a second of reports, hidden
    assert all(r.report.filters is None for _, r in hidden)

    view = service.set_view
    assert isinstance(view(p.TrainView(filters=True, cols=24, rows=8)), p.Ack)
    seen = len(comm.reports())
    shown = _reports_after(comm, seen, 25)  # 2.5 s or so of reports
    pictures = [(t, r.report.filters) for t, r in shown if r.report.filters is not None]
    assert len(pictures) >= 2
    assert all(pic.kind == "grid" and pic.width <= 24 and pic.height <= 16 for _, pic in pictures)
    gaps = [b - a for (a, _), (b, _) in zip(pictures, pictures[1:], strict=False)]
    assert min(gaps) >= FILTERS_EVERY * 0.8  # at most about twice a second
    span = shown[-1][0] - shown[0][0]
    assert len(pictures) <= span / FILTERS_EVERY + 2

    view(p.TrainView(filters=False))
    seen = len(comm.reports())
    after = _reports_after(comm, seen, 10)
    assert all(r.report.filters is None for _, r in after[1:])  # one may have been under way
    service.control(p.TrainControl(run_id=1, action="stop"))
    _until(lambda: comm.of(p.TrainEnded))


def test_a_new_app_starts_with_the_filters_hidden():
    service = TrainService(FakeAgent({}))
    service.set_view(p.TrainView(filters=True, cols=10**6, rows=-3))
    assert service.view() == (400, 2)  # clamped to a sane room
    service.stop_all()
    assert service.view() is None


def test_small_filters_are_laid_out_for_the_largest_zoom_the_room_allows():
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 8, 5)
    feed = FilterFeed(conv, lambda: (64, 14))
    picture = feed.take(0.0)
    # 8 filters of 5x5 at one pixel a weight, in 2 rows: small enough for the app to
    # draw them twice as big in its 64 x 14 cells (in one row of 8 they would not be)
    assert picture is not None and picture.factor == 1 and picture.note == "8 filters"
    assert 2 * picture.width <= 64 and 2 * picture.height <= 2 * 14
