"""Watch it learn: the selected run replayed epoch by epoch from the weights it kept."""

import streamlit as st

from app import analysis, figures, inside, runs, views
from app import inside_figures as fig
from app.inside_controls import digit_choice, epoch_choice, network_choice, remember, remembered

SPEEDS = {2: "2 epochs/s", 4: "4 epochs/s", 8: "8 epochs/s", 16: "16 epochs/s"}
TICK = 0.25  # seconds between frames at 4 epochs/s and faster (faster speeds skip epochs)
GRID_UNITS = 32

st.title("Watch it learn")
run = runs.selected()
if run is None:
    views.no_runs_yet("then replay it here epoch by epoch, however fast it trained.")
    views.dataset_overview()
    st.stop()

result, evaluation = run.result, run.evaluation()
epochs = inside.kept_epochs(result)
st.caption(f"Run **{run.name}** trained in {result.seconds:.2f} s. It kept its weights after "
           + ("every epoch" if len(epochs) == result.epochs_run + 1 else f"{len(epochs)} of its epochs")
           + ", so it can be played back: the hidden units, the curves, the confusion matrix and the answer for one "
             "digit, all as they were after each epoch. Epoch 0 is the random start.")
top = st.columns([2, 2, 3])
with top[0]:
    index = network_choice(run)
    speed = remembered(st.segmented_control, "Speed", "replay_speed", 4, options=list(SPEEDS),
                       format_func=SPEEDS.get, required=True)
with top[1]:
    digit = digit_choice(run)
playing = bool(st.session_state.get("replay_playing"))
order = inside.unit_order(result, evaluation.X, index)[:GRID_UNITS]
loss_top = inside.loss_ceiling(result.history)


@st.fragment(run_every=max(TICK, 1 / speed) if playing else None)
def replay():
    """The frame of the current epoch; while playing, each timed rerun of this fragment moves one step on."""
    if bool(st.session_state.get("replay_playing")) != playing:
        st.rerun()  # play or pause was pressed: the whole page again, to start or stop the timer
    if playing:
        position = epochs.index(st.session_state.get("replay_epoch", epochs[0])) if \
            st.session_state.get("replay_epoch") in epochs else 0
        step = max(1, round(speed * TICK))
        if position + step >= len(epochs):
            st.session_state["replay_playing"] = False
            remember("replay_epoch", epochs[-1])
            st.rerun()
        remember("replay_epoch", epochs[position + step])
    controls = st.columns([1, 6], vertical_alignment="bottom")
    if controls[0].button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
                          type="primary", width="stretch", key="replay_button"):
        st.session_state["replay_playing"] = not playing
        if not playing and st.session_state.get("replay_epoch") == epochs[-1]:
            remember("replay_epoch", epochs[0])  # from the start again
        st.rerun()
    epoch = epoch_choice(run, "replay_epoch", "Epoch", where=controls[1],
                         on_change=lambda: st.session_state.update(replay_playing=False))
    now = inside.frame(result, evaluation, digit.pixels, epoch)
    used, counts = now.epoch, now.counts
    st.markdown(f"**After epoch {used}**" + (f" · validation accuracy {now.history['val_acc'][-1]:.1%}" if used else
                                             " · the random initial weights") + f" · test accuracy {now.accuracy:.1%}")
    left, right = st.columns([3, 2])
    left.plotly_chart(fig.unit_mosaic(inside.unit_grid(result, epoch, order, index), title=(
        f"The {len(order)} most important hidden units after epoch {used}")), key="replay_units")
    with right:
        st.plotly_chart(figures.softmax_bars({run.name: now.digit_probs}, f"The answer for {digit.description}"),
                        key="replay_softmax")
        st.plotly_chart(fig.pixel_map(digit.pixels, "The digit", diverging=False, height=220), key="replay_digit")
    cells = st.columns(3)
    cells[0].plotly_chart(fig.curves_until(now.history, result.epochs_run, used, "loss", loss_top),
                          key="replay_loss")
    cells[1].plotly_chart(fig.curves_until(now.history, result.epochs_run, used, "accuracy", 1), key="replay_acc")
    cells[2].plotly_chart(figures.confusion_heatmap(counts, analysis.row_percentages(counts),
                                                    f"Test confusion after epoch {used}").update_layout(height=330),
                          key="replay_confusion")


replay()
