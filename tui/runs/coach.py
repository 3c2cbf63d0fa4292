"""The coach: one line saying what a loss curve is doing, when it has something to say.

A learner sees the curve but not what it means. Each rule is a pure function that reads
one common shape (divergence, overfitting, a bad init, vanishing gradients, a too-small
lr, a plateau), names the numbers and ends with what to try. The vanishing rule reads the
per-layer gradient norms that come with the reports and flags layers exactly as the
dashboard's layer panel does (``vanishing_flags``): the two never disagree. Minibatch losses are noisy, so rules compare
medians or means of windows and stay quiet until they have enough points. The curve may
be decimated, but its first point should be the step-1 loss itself (prepend
``LossSeries.raw()[0]``): a block mean hides a bad init, and divergence measures from it.
A run that ended on an exception or with its kernel (``Curve.failure``) gets that said and
nothing else: a curve cut short, or NaN from a failing op, is not a diverging loss.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

MIN_POINTS = 20  # training points before a window rule may speak (plateau: 30)
MIN_VAL_POINTS = 10  # validation points before the overfitting rule may speak
TINY = 1e-3  # losses (and gaps) below this are too small to call anything
RISE = 1.5  # divergence: the recent median above 1.5x the step-1 loss
VAL_RISE = 1.10  # overfitting: recent val mean above 1.1x its (smoothed) minimum ...
VAL_EPS = 0.05  # ... by more than 5% of ln K (or of the first val loss) and 2 sd ...
TRAIN_FALL = 0.95  # ... while the train median fell below 0.95x its value at that minimum
INIT_RATIO, INIT_GAP = 1.5, 0.5  # init (bce/ce): start > 1.5x ln K and > ln K + 0.5
INIT_MSE_RATIO = 3.0  # init (mse): start > 3x the target's variance
INIT_MAX_STEP = 5  # the first point must be (a mean over) the first few steps
MOVED = 0.05  # lr too small: the loss moved by less than 5% of its start ...
LR_MIN_STEPS, LR_MIN_SHARE = 200, 0.10  # ... after 200 steps, or 10% of the run (>= 50)
#: A learning rate this large is never "too small" for the playground's nets.
LR_NEVER_SMALL = 1.0
FLAT = 0.03  # plateau: the last third fell by less than 3% between its halves ...
DROPPED = 0.70  # ... after the loss fell below 70% of its start ...
CONVERGED = 0.10  # ... and sits above 10% of a guessing model's loss (else: converged)
VANISH = 1e-7  # a layer's gradient norm below this has vanished ...
VANISH_RATIO = 1e-4  # ... as has one this far below the output layer's


@dataclass(frozen=True)
class Curve:
    """What the coach reads; sequences may be lists or numpy arrays."""

    steps: Sequence[int]  # step numbers (1-based) of the training losses, increasing
    train: Sequence[float]  # training loss at those steps (a minibatch's loss; noisy)
    val_steps: Sequence[int] = ()  # steps at which validation loss was measured
    val: Sequence[float] = ()  # validation loss at those steps
    total_steps: int = 0  # steps the run will make (0: unknown)
    loss_kind: str = ""  # "bce", "cross-entropy", "mse", or "" (other: init rule is skipped)
    n_classes: int | None = None  # for cross-entropy
    target_var: float | None = None  # variance of the regression target (for mse)
    lr: float | None = None
    error: str | None = None  # set when the loss became NaN/Inf (the run stopped)
    finished: bool = False  # the run ended
    #: Why the run ended when it was not its loss: an exception, a worker that died, the
    #: kernel that died or restarted. The curve is then cut short, not read by any rule.
    failure: str | None = None
    #: ``(layer name, gradient norm or None)`` of each layer, input side first, from the
    #: last report that measured them (``LayerStat``); () when none did.
    layers: Sequence[tuple[str, float | None]] = ()


@dataclass(frozen=True)
class Advice:
    rule: str  # "stopped", "divergence", "overfitting", "init", "vanishing", "lr-too-small",
    #          "plateau"
    text: str  # one line, plain words, ends with what to try


#: The Reporter's words when a loss became NaN/Inf (``train_report``): the one error that
#: is about the curve. Any other error ended the run for a reason of its own.
_LOSS_ERROR = re.compile(r"^\s*loss became (nan|inf)\b", re.IGNORECASE)
MAX_TEXT = 110  # an advice is one short line


def split_error(error: str | None) -> tuple[str | None, str | None]:
    """(``Curve.error``, ``Curve.failure``) for a run's error: a NaN/Inf loss is the
    curve's own error, anything else (an exception, a dead kernel) is a failure."""
    if not error:
        return None, None
    return (error, None) if _LOSS_ERROR.match(error) else (None, error)


def expected_init_loss(
    loss_kind: str, n_classes: int | None, target_var: float | None
) -> float | None:
    """The loss of a fresh model that guesses evenly: ln K, ln 2, or the target's variance."""
    if loss_kind == "cross-entropy" and n_classes is not None and n_classes >= 2:
        return math.log(n_classes)
    if loss_kind == "bce":
        return math.log(2)
    if loss_kind == "mse" and target_var is not None and target_var > 0:
        return float(target_var)
    return None


def _num(x: float) -> str:
    return f"{x:.3g}"


def _lr(x: float) -> str:
    return f"{x:g}".replace("e-0", "e-").replace("e+0", "e")


def _guess(c: Curve) -> float | None:
    return expected_init_loss(c.loss_kind, c.n_classes, c.target_var)


def _series(xs: Sequence[float], ys: Sequence[float], need: int) -> tuple[np.ndarray, np.ndarray]:
    """Finite (step, loss) pairs; none if fewer than ``need`` or a loss < 0 (rules use ratios)."""
    x, y = np.asarray(xs, dtype=np.float64).ravel(), np.asarray(ys, dtype=np.float64).ravel()
    n = min(len(x), len(y))
    keep = np.isfinite(x[:n]) & np.isfinite(y[:n])
    x, y = x[:n][keep], y[:n][keep]
    if len(y) < max(need, 1) or y.min() < 0:
        return np.empty(0), np.empty(0)
    return x, y


def _smooth(y: np.ndarray, k: int) -> np.ndarray:
    """Rolling mean over k points (entry i covers y[i:i+k])."""
    return np.convolve(y, np.ones(k) / k, mode="valid") if k > 1 else y


def stopped(c: Curve) -> Advice | None:
    """The run ended on an error or with its kernel, not on its loss: say so, and let no
    other rule read a curve that was cut short (its last losses mean nothing)."""
    if not c.failure:
        return None
    why = c.failure.strip().removeprefix("run ended: ")
    if why.startswith("kernel restarted"):
        return Advice("stopped", "The kernel restarted: the run ended there, not on its loss")
    if why.startswith("kernel died"):
        reason = why.removeprefix("kernel died").lstrip(": ")
        text = "The kernel died: the run ended there, not on its loss"
        return Advice("stopped", _fit(f"{text} ({reason})", text) if reason else text)
    head = "The run stopped on an error, not on its loss: "
    return Advice("stopped", _fit(head + " ".join(why.split()), head.rstrip(": ")))


def _fit(text: str, short: str) -> str:
    """``text`` cut to one advice line (``short`` when nothing of the detail would fit)."""
    if len(text) <= MAX_TEXT:
        return text
    cut = text[: MAX_TEXT - 1].rstrip(" (") + "…"
    return cut if len(cut) > len(short) + 10 else short


def divergence(c: Curve) -> Advice | None:
    """The loss became NaN/Inf, or rose well above where it started."""
    smaller = f"try a smaller lr ({_lr(c.lr / 10)})" if c.lr else "try a 10x smaller lr"
    if c.error:
        kind = re.search(r"\b(nan|inf)", c.error, re.IGNORECASE)
        what = "Inf" if kind and kind.group(1).lower() == "inf" else "NaN"
        step = re.search(r"\bstep (\d+)", c.error)
        where = f" at step {step.group(1)}" if step else ""
        hint = f"e.g. {_lr(c.lr / 10)}" if c.lr else "e.g. 10x smaller"
        return Advice(
            "divergence",
            f"The loss became {what}{where}: the steps are too big. Try a smaller lr ({hint})",
        )
    steps, y = _series(c.steps, c.train, MIN_POINTS)
    if not len(y):
        return None
    w = max(5, len(y) // 10)
    first, recent = float(np.median(y[:w])), float(np.median(y[-w:]))
    guess = _guess(c)
    if steps[0] <= 1:  # the step-1 loss is known: that is where it started
        start, bar, what = float(y[0]), RISE * float(y[0]), "where it started"
    elif guess:  # the start is hidden in a block mean: ask for 3x a guessing model's loss
        start, bar, what = guess, 3 * guess, "a guessing model's"
    else:
        return None
    if recent > bar and recent - start > TINY and recent >= 0.5 * first:
        return Advice(
            "divergence",
            f"The loss is rising above {what} ({_num(start)} -> {_num(recent)}): "
            f"lr too large; {smaller}",
        )
    return None


def overfitting(c: Curve) -> Advice | None:
    """Validation loss rising from its minimum, for good, while training loss falls."""
    vs, v = _series(c.val_steps, c.val, MIN_VAL_POINTS)
    steps, y = _series(c.steps, c.train, MIN_POINTS)
    if not len(v) or not len(y):
        return None
    n, k = len(v), min(10, max(3, len(v) // 10))
    sm = _smooth(v, k)
    i = int(np.argmin(sm))
    centre, w = i + (k - 1) // 2, max(3, n // 10)
    if centre >= n - 2 * w:  # the minimum is recent: nothing has risen yet
        return None
    low, tail = float(sm[i]), v[-w:]
    recent = float(np.mean(tail))
    # A clear rise: beyond the val's own jitter, and more than a sliver of the loss's scale.
    margin = max(VAL_EPS * (_guess(c) or float(v[0])), 2 * float(np.std(tail)), TINY)
    if recent <= VAL_RISE * low or recent - low <= margin:
        return None
    if float(np.mean(v[-2 * w : -w])) <= VAL_RISE * low:  # a jump, not a sustained rise
        return None
    wt = max(5, len(y) // 10)
    j = min(int(np.searchsorted(steps, vs[centre])), len(y) - 1)
    then = float(np.median(y[max(0, j - wt // 2) : j + wt // 2 + 1]))
    if not float(np.median(y[-wt:])) < TRAIN_FALL * then:
        return None
    s = int(round(vs[centre]))
    return Advice(
        "overfitting",
        f"Val loss rose since step {s} ({_num(low)} -> {_num(recent)}), train fell: "
        f"overfitting. Add data, weight decay, or stop at {s}",
    )


def init_loss(c: Curve) -> Advice | None:
    """The first loss far above what a fresh, evenly guessing model gets."""
    guess = _guess(c)
    steps, y = _series(c.steps, c.train, 1)
    if guess is None or not len(y) or steps[0] > INIT_MAX_STEP:
        return None
    start, at = float(y[0]), "at step 1" if steps[0] <= 1 else "at the start"
    if c.loss_kind == "mse":
        if start <= INIT_MSE_RATIO * guess:
            return None
        return Advice(
            "init",
            f"Loss {at} is {_num(start)}, over 3x the target's variance ({_num(guess)}): "
            "check the init, or standardise y",
        )
    if start <= INIT_RATIO * guess or start - guess <= INIT_GAP:
        return None
    k = c.n_classes if c.loss_kind == "cross-entropy" else 2
    return Advice(
        "init",
        f"Loss {at} is {_num(start)}, a fresh model's is ~ln {k} = {guess:.2f}: "
        "outputs start overconfident; check the init scale",
    )


def vanishing_flags(grads: Sequence[float | None]) -> list[bool]:
    """Which layers' gradients have vanished (input side first): a norm under ``VANISH``,
    or ``VANISH_RATIO`` of the output layer's. The layer panel's "vanishing" and the
    coach's rule both read this."""
    last = grads[-1] if grads else None
    bar = VANISH_RATIO * last if last is not None and math.isfinite(last) else 0.0
    return [g is not None and math.isfinite(g) and g < max(VANISH, bar) for g in grads]


def _low(c: Curve, recent: float) -> bool:
    """The loss is already low: nothing left for a bigger lr, nor a deeper gradient, to do."""
    guess = _guess(c)
    return recent <= (max(TINY, 0.5 * guess) if guess else TINY)


def vanishing(c: Curve) -> Advice | None:
    """The layer panel says the gradients vanish before they reach the first layers, and
    the loss is not low: the cure is the activation, the init or normalisation, never a
    bigger lr (the stuck curve looks like an lr too small)."""
    grads = [g for _, g in c.layers]
    flags = vanishing_flags(grads)
    if len(flags) < 2 or not any(flags[:-1]):
        return None
    steps, y = _series(c.steps, c.train, 1)
    if not len(y) or _low(c, float(np.median(y[-max(1, len(y) // 10) :]))):
        return None
    (name, g), (last_name, g_last) = c.layers[flags.index(True)], c.layers[-1]
    cure = ". Try ReLU, kaiming init or BatchNorm"
    at_last = f" vs {_tiny(g_last)} at {_layer(last_name)}" if g_last is not None else ""
    text = f"Vanishing gradients: ‖grad‖ {_tiny(g)} at {_layer(name)}{at_last}"
    if len(text + cure) > MAX_TEXT:
        text = f"Vanishing gradients at {_layer(name)}"[: MAX_TEXT - len(cure)]
    return Advice("vanishing", text + cure)


def _tiny(g: float | None) -> str:
    return "-" if g is None else _lr(float(f"{g:.1g}"))


def _layer(name: str) -> str:
    """``layer 0`` for an nn.Sequential's numbered child, else the module's own name."""
    return f"layer {name}" if name.isdigit() else name


def lr_too_small(c: Curve) -> Advice | None:
    """Many steps in and the loss has hardly moved from its start (and its gradients
    reach every layer: a stuck loss with vanishing gradients is ``vanishing``)."""
    if c.lr is not None and c.lr >= LR_NEVER_SMALL:
        return None  # a stuck loss at such a rate is a blown-up net, not a timid one
    if any(vanishing_flags([g for _, g in c.layers])[:-1]):
        return None
    steps, y = _series(c.steps, c.train, MIN_POINTS)
    if not len(y):
        return None
    last = int(round(steps[-1]))
    share = c.total_steps > 0 and last >= max(50, LR_MIN_SHARE * c.total_steps)
    if last < LR_MIN_STEPS and not share:
        return None
    w, guess = max(5, len(y) // 10), _guess(c)
    start, recent = float(np.median(y[:w])), float(np.median(y[-w:]))
    if _low(c, recent):
        return None  # already low: nothing left for a bigger lr to do
    if (steps[0] <= 1 and recent > RISE * y[0]) or (guess and recent > 3 * guess):
        return None  # stuck high after blowing up: divergence, not a small lr
    if abs(start - recent) >= MOVED * start:
        return None
    tip = f"the lr ({_lr(c.lr)}) may be too small; try 10x ({_lr(c.lr * 10)})" if c.lr else ""
    tip = tip or "the lr may be too small; try 10x larger"
    return Advice(
        "lr-too-small",
        f"After {last} steps the loss has barely moved ({_num(start)} -> {_num(recent)}): {tip}",
    )


def plateau(c: Curve) -> Advice | None:
    """After a real drop, the last third of the curve is flat (and not near zero)."""
    steps, y = _series(c.steps, c.train, 30)
    if not len(y):
        return None
    n, start = len(y), min(float(y[0]), float(np.median(y[:3])))
    third = y[-(n // 3) :]
    half, level = len(third) // 2, float(np.median(third))
    if float(np.median(third[:half]) - np.median(third[half:])) >= FLAT * level:
        return None  # still falling
    if level >= DROPPED * start or level <= max(TINY, CONVERGED * (_guess(c) or start)):
        return None  # no real drop yet, or converged
    k = max(3, n // 30)
    arrived = np.flatnonzero(_smooth(y, k) <= level * (1 + FLAT))
    i = int(arrived[0]) if len(arrived) else n - len(third)
    s = int(round(steps[i + (k - 1) // 2]))
    return Advice(
        "plateau",
        f"The loss is flat near {_num(level)} since step {s}: try a lower lr late "
        "(a schedule), a bigger model, or more steps",
    )


Rule = Callable[[Curve], "Advice | None"]
RULES: tuple[Rule, ...] = (
    stopped, divergence, overfitting, init_loss, vanishing, lr_too_small, plateau,
)  # fmt: skip


def advise(c: Curve) -> Advice | None:
    """The first rule (in priority order) that has something to say, else None."""
    return next((advice for rule in RULES if (advice := rule(c)) is not None), None)
