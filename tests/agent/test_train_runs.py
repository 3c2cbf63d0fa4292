"""The agent's TrainService without a kernel: a run reports only to the comm that started
it, a new app (stop_all) stops the old app's runs, the REPL's model is marked while it
trains, and export saves model.pt where the app asked."""

from __future__ import annotations

import contextvars
import threading
import time
import types

import torch

from tui.agent.train_runs import TrainService
from tui.protocol import messages as p


class FakeComm:
    def __init__(self) -> None:
        self.sent: list = []

    def send(self, data) -> None:
        self.sent.append(p.decode(data))

    def of(self, kind: type) -> list:
        return [m for m in self.sent if isinstance(m, kind)]


class FakeAgent:
    def __init__(self, ns: dict | None = None) -> None:
        self.comm = FakeComm()
        self._handlers: dict = {}
        self.cells = types.SimpleNamespace(training_model=None)
        self.shell = types.SimpleNamespace(user_ns=ns or {})

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


XOR = {"dataset": "xor", "hidden": "8", "lr": "0.05", "batch_size": "4"}


def test_a_new_app_stops_the_old_apps_runs_and_gets_none_of_their_messages():
    agent = FakeAgent()
    service = TrainService(agent)
    old = agent.comm
    service.start(p.TrainStart(run_id=1, config={**XOR, "steps": 10**8}))
    _until(lambda: old.of(p.TrainReport))
    agent.comm = new = FakeComm()  # what Agent._open_requests does for a new app
    service.stop_all()
    _until(lambda: old.of(p.TrainEnded))
    assert old.of(p.TrainEnded)[0].summary.stopped
    service.start(p.TrainStart(run_id=1, config={**XOR, "steps": 50}))  # the same id
    _until(lambda: new.of(p.TrainEnded))
    assert new.of(p.TrainEnded)[0].summary.steps == 50
    assert len(old.of(p.TrainEnded)) == 1 and new.of(p.TrainReport)[0].report.first_step == 1


def test_the_repl_model_is_marked_while_it_trains_and_exports(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    ns = {"model": model, "X": torch.randn(16, 2), "y": torch.randn(16, 1)}
    agent = FakeAgent(ns)
    service = TrainService(agent)
    service.start(p.TrainStart(run_id=3, source="repl", config={"steps": 10**8}))
    _until(lambda: agent.comm.of(p.TrainReport))
    assert agent.cells.training_model is model
    service.control(p.TrainControl(run_id=3, action="stop"))
    _until(lambda: agent.comm.of(p.TrainEnded))
    _until(lambda: agent.cells.training_model is None)
    export = service.export
    reply = export(p.ExportRequest(id="e", run_id=3, path=str(tmp_path / "model.pt")))
    assert reply.written and set(torch.load(tmp_path / "model.pt")) == set(model.state_dict())
    missing = export(p.ExportRequest(id="f", run_id=99, path=str(tmp_path / "x.pt")))
    assert not missing.written and "no longer has" in missing.note
