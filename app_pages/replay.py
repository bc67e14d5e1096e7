"""Watch it learn: the selected run replayed epoch by epoch from the weights it kept."""

import time

import streamlit as st

from app.analysis import inside
from app.analysis import run as analysis
from app.figures import inside as fig
from app.figures import run as figures
from app.widgets.controls import digit_choice, epoch_choice, network_choice, remember, remembered, selected_run

SPEEDS = {2: "2 epochs/s", 4: "4 epochs/s", 8: "8 epochs/s", 16: "16 epochs/s"}
TICK = 0.25  # seconds between frames at 4 epochs/s and faster; slow frames skip epochs to keep the speed
GRID_UNITS = 32
PLAYED = "replay_at"  # the epoch a playing replay shows

st.title("Watch it learn")
run = selected_run("then replay it here epoch by epoch, however fast it trained.")

result, evaluation = run.result, run.evaluation()
epochs = inside.kept_epochs(result)
if len(epochs) == 1:
    st.info(f"**{run.name}** kept only its final weights (a run loaded from a file keeps no earlier epochs): there is "
            "nothing to replay. Train it here to watch it learn.", icon=":material/info:")
st.caption(f"Run **{run.name}** trained in {result.seconds:.2f} s. It kept its weights after "
           + ("every epoch" if len(epochs) == result.epochs_run + 1 else f"{len(epochs)} of its epochs")
           + ", so it can be played back: the hidden units, the curves, the confusion matrix and the answer for one "
             "digit, all as they were after each epoch. Epoch 0 is the random start.")
top = st.columns([4, 1, 1, 1], vertical_alignment="bottom")
with top[0]:
    digit = digit_choice(run)
top[1].image(figures.digit_picture(digit.pixels, 8), caption="the digit followed", width=64)
with top[2]:
    speed = remembered(st.selectbox, "Speed", "replay_speed", 4, options=list(SPEEDS), format_func=SPEEDS.get)
with top[3]:
    index = network_choice(run)
playing = bool(st.session_state.get("replay_playing"))
order = inside.unit_order(result, evaluation.X, index)[:GRID_UNITS]
loss_span = inside.loss_span(result.history)


@st.fragment(run_every=max(TICK, 1 / speed) if playing else None)
def replay():
    """The frame of the current epoch; while playing, each timed rerun of this fragment moves one step on."""
    if bool(st.session_state.get("replay_playing")) != playing:
        st.rerun()  # play or pause was pressed: the whole page again, to start or stop the timer
    controls = st.columns([1, 6], vertical_alignment="bottom")
    icon = ":material/pause:" if playing else ":material/play_arrow:"
    if controls[0].button("Pause" if playing else "Play", icon=icon, type="primary", width="stretch",
                          key="replay_button"):
        if playing:  # pause where it is: the slider takes over from there
            remember("replay_epoch", st.session_state.get(PLAYED, epochs[-1]))
        else:
            current = st.session_state.get("replay_epoch")
            st.session_state[PLAYED] = epochs[0] if current not in epochs or current == epochs[-1] else current
            st.session_state.pop("replay_clock", None)
        st.session_state["replay_playing"] = not playing
        st.rerun()
    if not playing:
        epoch = epoch_choice(run, "replay_epoch", "Epoch", where=controls[1])
    else:  # no slider while playing: a widget set from here would race the browser's copy of its value
        now, epoch = time.monotonic(), st.session_state.get(PLAYED, epochs[0])
        position = epochs.index(epoch) if epoch in epochs else 0
        if "replay_clock" in st.session_state:
            position = inside.replay_step(position, len(epochs), now - st.session_state["replay_clock"], speed)
        st.session_state["replay_clock"] = now
        if position is None:  # the end: stop there
            st.session_state["replay_playing"] = False
            remember("replay_epoch", epochs[-1])
            st.rerun()
        epoch = st.session_state[PLAYED] = epochs[position]
        controls[1].progress(position / max(1, len(epochs) - 1), text=f"Playing: epoch {epoch} of {epochs[-1]}")
    now = inside.frame(result, evaluation, digit.pixels, epoch)
    used, counts = now.epoch, now.counts
    st.markdown(f"**After epoch {used}**" + (f" · validation accuracy {now.history['val_acc'][-1]:.1%}" if used else
                                             " · the random initial weights") + f" · test accuracy {now.accuracy:.1%}"
                + (f" · since the start W1 has moved {now.drift['W1']:.0%} of its size, W2 {now.drift['W2']:.0%}"
                   if now.drift and used else ""))
    left, right = st.columns([3, 2])
    left.plotly_chart(fig.unit_mosaic(inside.unit_grid(result, epoch, order, index), title=(
        f"The {len(order)} most important hidden units after epoch {used}")), key="replay_units")
    right.plotly_chart(figures.softmax_bars({run.name: now.digit_probs}, {run.name: run.color},
                                              f"The answer for {digit.description}"),
                       key="replay_softmax")
    cells = st.columns(3)
    cells[0].plotly_chart(fig.curves_until(now.history, result.epochs_run, used, "loss", loss_span, run.color),
                          key="replay_loss")
    cells[1].plotly_chart(fig.curves_until(now.history, result.epochs_run, used, "accuracy", color=run.color),
                          key="replay_acc")
    cells[2].plotly_chart(figures.confusion_heatmap(counts, analysis.row_percentages(counts),
                                                    f"Test confusion after epoch {used}").update_layout(height=330),
                          key="replay_confusion")


replay()
