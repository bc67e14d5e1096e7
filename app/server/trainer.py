"""Training from the app: what a session asked for is trained (or taken from the shared cache),
fairly, within a budget, with live progress, and kept in the session -- the one place that
knows how Streamlit interrupts a training.

The interruption protocol: a click anywhere while training (the Stop button, or any widget)
makes Streamlit raise a rerun request from the next Streamlit call, which is inside the epoch
callback. The callback catches it and stops training after that epoch; the run is kept (stopped
at its epoch) with plain Python only -- after an interruption every Streamlit call raises
again -- and the request is re-raised so Streamlit reruns with the click. The rerun waits for
the interrupted training to finish storing its run before it draws anything. A session that
disconnects stops the same way, so no training outlives its session.

The server's settings (DIGITS_TRAINING_BUDGET, DIGITS_SHARED, DIGITS_TRAINING_SLOTS) are read
and checked by app.server.settings; the CPUs and memory it has by app.server.machine.
"""

import dataclasses
import time

import streamlit as st

import nncore
from app.server import lock, machine, settings
from app.server.cache import RunCache
from app.server.interruption import INTERRUPTIONS
from app.server.queue import TrainingQueue
from app.state import person, runs
from app.state.links import result_key, run_key
from nncore.lab.cost import duration
from nncore.lab.threads import single_threaded_blas

CACHE_ENTRIES = 64
REDRAW_SECONDS = 0.25
IDLE_CORE = "on an idle core"  # what every estimate assumes: it cannot know how busy the server will be


def budget_seconds():
    """Estimated seconds one run may take without asking (DIGITS_TRAINING_BUDGET)."""
    return settings.value("DIGITS_TRAINING_BUDGET")


def shared_deployment():
    """Whether runs over the budget are refused rather than asked about (DIGITS_SHARED)."""
    return settings.value("DIGITS_SHARED")


@st.cache_resource(show_spinner=False)
def shared_cache():
    """The runs every session of this server shares, within a byte budget that shrinks on a box
    with little memory (machine.Machine.cache_bytes)."""
    return RunCache(CACHE_ENTRIES, machine.current().cache_bytes)


@st.cache_resource(show_spinner=False)
def shared_queue():
    """The server's training queue: DIGITS_TRAINING_SLOTS trainings at once, by default one per CPU
    this server may use."""
    return TrainingQueue(settings.value("DIGITS_TRAINING_SLOTS"))


def estimate(config):
    """Estimated seconds to train ``config`` on this server (nncore.lab.cost: a model of the step)."""
    return nncore.estimate_seconds(config)


def queue_text(place, wait, running):
    """What a training waiting in line is told: its place, the trainings ahead of it and running,
    and the wait they add up to, saying what that assumes."""
    ahead = "no training" if place == 1 else f"{place - 1} training{'s' * (place > 2)}"
    return (f"Waiting for a free training slot: place {place} in line ({ahead} ahead of yours, {running} running), "
            f"about {duration(wait)} if each takes its estimate {IDLE_CORE}. Stop to leave the line.")


def store(result):
    """Put a run trained elsewhere (a sweep's cell) into the shared cache, unless the cache holds
    that run already; returns the cache's run (one object per run, whoever trained it)."""
    cache, key = shared_cache(), result_key(result)
    held = cache.get(key)
    if held is None:
        cache.put(key, result)
        held = result
    return held


class _LiveView:
    """Progress bar, Stop button and live curves of one training, drawn into ``area``."""

    def __init__(self, area, key, label, name):
        self.key, self.draws = key, 0
        self.history = {k: [] for k in nncore.training.HISTORY_KEYS}
        self.drawn_at = 0.0
        with area.container(border=True):
            top = st.columns([5, 1], vertical_alignment="center")
            self.title = top[0].empty()
            self.title.markdown(f"**{label}** `{name}`")
            top[1].button("Stop", key=f"stop-{key}", on_click=_cancel_all,
                          help="Stop after the current epoch and keep the run as it is")
            self.bar = st.progress(0.0, text="starting…")
            left, right = st.columns(2)
            self.loss_chart, self.acc_chart = left.empty(), right.empty()

    def wait(self, text):
        """Say what the training waits for (raises Streamlit's rerun request on a click)."""
        self.bar.progress(0.0, text=text)

    def update(self, stats):
        for k in self.history:
            self.history[k].append(getattr(stats, k))
        self.bar.progress(stats.epoch / stats.epochs, text=(
            f"epoch {stats.epoch}/{stats.epochs} · loss {stats.train_loss:.3f} · "
            f"validation accuracy {stats.val_acc:.1%}"))
        now = time.perf_counter()
        if now - self.drawn_at >= REDRAW_SECONDS or stats.epoch == stats.epochs:
            from app.figures import run as figures  # here: charts bring pandas, which the first page does without

            curves = [figures.Curve("live", self.history, 0, figures.COLORS[0])]
            self.draws += 1  # each drawing its own key: two live views may show identical curves
            self.loss_chart.plotly_chart(figures.training_curves(curves, "loss"), key=f"live-loss-{self.key}-"
                                         f"{self.draws}")
            self.acc_chart.plotly_chart(figures.training_curves(curves, "accuracy"), key=f"live-acc-{self.key}-"
                                        f"{self.draws}")
            self.drawn_at = time.perf_counter()


def _cancel_all():
    """The Stop button: the training running stops after its epoch; nothing else pending is trained."""
    runs.current().cancel = True


def _train(request, key, area, label, owner):
    """Train one request: wait for another session training the same run, then for a slot in
    the queue, then train with live progress. Returns (result, interruption)."""
    cache, queue = shared_cache(), shared_queue()
    record = cache.training(key)
    try:
        view = _LiveView(area, key, label, request.config.name)
        while not record.lock.acquire(timeout=0.5):
            view.wait(f"Someone else on this server is training this very run (epoch {record.epoch}/"
                      f"{record.epochs}); it will show here when it is done. Stop to leave.")
        try:
            result = cache.get(key)
            if result is not None:
                return result, None
            seconds = estimate(request.config)

            def queued(place, wait):
                view.wait(queue_text(place, wait, queue.status()[0]))

            interruption = None

            def on_epoch(stats):
                nonlocal interruption
                record.epoch, record.epochs = stats.epoch, stats.epochs
                try:
                    view.update(stats)
                except INTERRUPTIONS as request_:
                    interruption = request_
                    return True
                return stats.epoch == request.stop_at

            with queue.turn(owner, seconds, on_wait=queued) as ticket:
                # in the server's log, for the load test (bench/loadtest.py) and whoever runs the server
                print(f"digits: queue wait {ticket.started - ticket.arrived:.3f} s for {key}", flush=True)
                with single_threaded_blas():
                    result = nncore.train(request.config, callback=on_epoch)
            cache.put(result_key(result), result)
            return result, interruption
        finally:
            record.lock.release()
    finally:
        cache.release(key)


def _ask(area, waiting, shared):
    """The runs over the budget: ask before training them (or refuse, on a shared server)."""
    budget = duration(budget_seconds())
    lines = "\n".join(f"- `{r.config.name}`: about **{duration(estimate(r.config))}**" for r in waiting)
    total = sum(estimate(r.config) for r in waiting)
    linked = sum(r.source == "link" for r in waiting)
    together = (f"\n\nThe link's {linked} runs count as one request: together about **{duration(total)}** "
                f"{IDLE_CORE}." if linked > 1 else "")
    with area.container(border=True):
        if shared:
            st.error(f"This server is shared, so a run, or a link's runs together, may take at most {budget}. "
                     f"Not trained:\n{lines}{together}\n\nTry fewer epochs, fewer hidden units, a larger batch or "
                     "fewer augmented copies.", icon=":material/block:")
            st.button("Dismiss", key="budget-dismiss", on_click=_drop, args=(waiting,))
            return
        st.warning(f"Training takes a while here (more than {budget} per run, or for a link's runs together; "
                   f"estimated {IDLE_CORE}):\n{lines}{together}", icon=":material/timer:")
        cells = st.columns([1, 1, 3])
        cells[0].button(f"Train ({duration(total)})", key="budget-confirm", type="primary", on_click=_confirm,
                        args=(waiting,))
        cells[1].button("Cancel", key="budget-cancel", on_click=_drop, args=(waiting,))


def _confirm(requests):
    session = runs.current()
    session.requests = [dataclasses.replace(r, confirmed=True) if r in requests else r
                        for r in session.requests]


def _drop(requests):
    session = runs.current()
    session.requests = [r for r in session.requests if r not in requests]


def waiting_for_a_click(requests, cache, budget):
    """The requests not trained without a click: each one not in ``cache``, not confirmed and
    estimated over ``budget`` seconds, and all of a link's such runs when together they are over
    it (a link is one request, as a sweep is: eight runs each under the budget are not)."""
    pending = [r for r in requests if not r.confirmed and cache.get(run_key(r.config, r.stop_at)) is None]
    linked = [r for r in pending if r.source == "link"]
    if sum(estimate(r.config) for r in linked) > budget:
        return [r for r in pending if r.source == "link" or estimate(r.config) > budget]
    return [r for r in pending if estimate(r.config) > budget]


def train_requested(area):
    """Train what this session asked for, in order, keeping each run in the session; draws into
    ``area``. Runs from the cache come back at once; runs over the budget wait for a click."""
    session = runs.current()
    session.idle.wait(60)  # a click interrupted a training: let that script run store its run first
    if session.cancel:
        session.requests, session.cancel = [], False
    fixed = lock.server_lock()[0]
    refused = [r for r in session.requests if lock.breaks(r.config, fixed)]
    session.requests = [r for r in session.requests if r not in refused]
    cache, owner = shared_cache(), person.owner(session)
    over_budget = waiting_for_a_click(session.requests, cache, budget_seconds())
    todo = [r for r in session.requests if r not in over_budget]
    with runs.training(session):
        for position, request in enumerate(todo, 1):
            label = f"Restoring run {position}/{len(todo)} from the link" if request.source == "link" else "Training"
            key = run_key(request.config, request.stop_at)
            result = cache.get(key)
            interruption = None
            if result is None:
                result, interruption = _train(request, key, area, label, owner)
            if request in session.requests:
                session.requests.remove(request)
            _, notice = session.add(result, request.source, request.color)
            if interruption is not None:
                raise interruption  # the click that stopped training: let Streamlit rerun with it
            if notice:
                st.toast(notice, icon=":material/delete:")
    area.empty()
    if refused or over_budget:
        box = area.container()
        if refused:
            box.error(f"This server fixes {lock.words(fixed)} for everyone ({lock.VARIABLE}), so these runs were not "
                      "trained:\n" + "\n".join(f"- `{r.config.name}`" for r in refused), icon=":material/lock:")
        if over_budget:
            _ask(box, over_budget, shared_deployment())
