"""The library beside us, in the app: a button that trains scikit-learn's MLPClassifier with the
settings closest to a run's (nncore.lab.peer) and shows the two side by side: scores, time, both
training-loss curves on one chart, and what has no equivalent. Call ``sklearn_beside(run)``
where a run is shown."""

import threading
from collections import OrderedDict

import streamlit as st

import nncore
import nncore.lab.peer
from app.figures.run import peer_curves
from app.server import trainer
from app.server.interruption import INTERRUPTIONS
from app.state import person, runs
from nncore.lab.cost import duration

PEER_ENTRIES = 64  # scikit-learn's runs kept for everyone (a few KB each: scores and curves)


class _Peers:
    """scikit-learn's runs by settings, shared by every session: at most ``entries`` of them,
    the least recently used let go first."""

    def __init__(self, entries):
        self.entries, self._runs, self._lock = entries, OrderedDict(), threading.Lock()

    def get(self, settings):
        with self._lock:
            if settings in self._runs:
                self._runs.move_to_end(settings)
            return self._runs.get(settings)

    def put(self, settings, peer):
        with self._lock:
            self._runs[settings] = peer
            self._runs.move_to_end(settings)
            while len(self._runs) > self.entries:
                self._runs.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _peers():
    return _Peers(PEER_ENTRIES)


def _train_sklearn(settings, seconds, key, shown, name):
    """scikit-learn's run of these settings ((name, value) pairs), trained in its turn in the
    server's training queue with a Stop button, its place in line while it waits and its epoch
    while it trains; None when it was stopped. A click or a closed tab interrupts it like our
    own training: the wait leaves the line, the training ends after its epoch, and the click's
    rerun goes on (re-raised)."""
    queue, interruption, holder = trainer.shared_queue(), None, st.empty()
    with holder.container(border=True):
        top = st.columns([5, 1], vertical_alignment="center")
        top[0].markdown("**Training scikit-learn's MLPClassifier**")
        top[1].button("Stop", key=f"sklearn-stop-{key}", on_click=shown.discard, args=(name,),
                      help="Leave the line, or stop training scikit-learn's run")
        status = st.empty()
    status.caption("starting…")

    def on_wait(place, wait):  # raises Streamlit's rerun or stop request: the ticket leaves the line
        status.caption(trainer.queue_text(place, wait, queue.status()[0]))

    def stop(epoch, epochs):
        nonlocal interruption
        try:
            status.progress(epoch / epochs, text=f"scikit-learn's epoch {epoch}/{epochs}")
        except INTERRUPTIONS as request:
            interruption = request
            return True
        return False

    with queue.turn(person.owner(runs.current()), seconds, on_wait=on_wait):
        peer = nncore.lab.peer.train_sklearn(nncore.TrainConfig(**dict(settings)), stop=stop)
    if interruption is not None:
        # in the server's log, for the browser test and whoever runs the server
        print(f"digits: scikit-learn's run stopped after its epoch: {key}", flush=True)
        raise interruption
    _peers().put(settings, peer)
    holder.empty()
    return peer


@st.cache_data(show_spinner=False, max_entries=256)
def _estimate(settings):
    """Estimated seconds of scikit-learn's run of these settings ((name, value) pairs)."""
    return nncore.lab.peer.estimate_seconds(nncore.TrainConfig(**dict(settings)))


def sklearn_beside(run):
    """A button that trains scikit-learn's MLPClassifier like ``run`` (an app.state.runs.Run), its
    estimated time on its label; once pressed for this run, the comparison below it (kept for the
    session, its training cached per config for everyone). Over the training budget the page says
    so first; a shared server (DIGITS_SHARED) refuses it, as it refuses such a run of ours. The
    training takes its turn in the server's training queue."""
    shown = st.session_state.setdefault("sklearn_beside", set())
    settings = tuple(run.config.to_dict().items())
    seconds, budget = _estimate(settings), trainer.budget_seconds()
    refused = seconds > budget and trainer.shared_deployment()
    if refused:
        shown.discard(run.name)
        st.error(f"This server is shared, so a training may take at most {duration(budget)}; scikit-learn's "
                 f"run of these settings would take about {duration(seconds)}. Compare a smaller run (fewer "
                 "epochs, hidden units or augmented copies, a larger batch), or on your own machine: "
                 f"`{run.config.command()} --compare-sklearn`.", icon=":material/block:")
    elif seconds > budget:
        st.warning(f"scikit-learn's run of these settings would take about **{duration(seconds)}** of this "
                   "server's time.", icon=":material/timer:")
    if st.button(f"Train scikit-learn's MLPClassifier beside it (about {duration(seconds)} "
                 f"{trainer.IDLE_CORE})",
                 icon=":material/balance:", key=f"sklearn-beside-{run.name}", disabled=refused,
                 help="The same split, standardization, network size, optimizer, batch, epochs and learning rate, in "
                 "scikit-learn: see how the from-scratch network compares with a library's."):
        shown.add(run.name)
    if run.name not in shown:
        return
    peer = _peers().get(settings)
    if peer is None:
        peer = _train_sklearn(settings, seconds, run.name, shown, run.name)
    ours = run.result
    st.markdown(f"**Beside scikit-learn's MLPClassifier**, trained on the same {peer.rows} rows, standardized the "
                "same way, and scored on the same test split:")
    cells, plain = st.columns(3), dict(delta_color="off", delta_arrow="off")  # a comparison, not a gain or loss
    points = (ours.test_accuracy - peer.test_accuracy) * 100
    cells[0].metric("Test accuracy: ours", f"{ours.test_accuracy:.1%}",
                    f"{points:+.1f} points vs scikit-learn's {peer.test_accuracy:.1%}", **plain)
    cells[1].metric("Training time: ours", f"{ours.seconds:.2f} s", f"scikit-learn: {peer.seconds:.2f} s", **plain)
    cells[2].metric("Epochs: ours", ours.epochs_run, f"scikit-learn: {peer.epochs_run}", **plain)
    charts = [peer_curves(ours.history["train_loss"], peer.loss_curve)]
    if peer.validation_scores:  # scikit-learn gives them with its early stopping only
        charts.append(peer_curves(ours.history["val_acc"], peer.validation_scores,
                                  "Validation accuracy per epoch: ours on our validation split, scikit-learn's on "
                                  "its own share", "accuracy", percent=True))
    for column, chart in zip(st.columns(len(charts)), charts, strict=True):
        column.plotly_chart(chart)
    settings = ", ".join(f"{name}={value!r}" for name, value in peer.parameters.items())
    st.caption(f"scikit-learn's settings: `MLPClassifier({settings})`")
    st.markdown("**What differs**\n\n" + "\n".join(f"- {sentence}" for sentence in peer.differences))
