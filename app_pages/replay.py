"""Watch it learn: the selected run replayed epoch by epoch from the weights it kept.

A replay is paced by the browser, not by a timer: each frame (the header and every chart, all of one
epoch) is drawn whole by one run of the ``replay`` fragment, and the browser asks for the next one
only once it has drawn this one. Plotly charts whose figure changes are mounted anew (Streamlit
gives a chart an id from its figure), which a busy browser takes seconds to draw; a timer would queue
frames faster than that, leaving the charts blank, behind the header and the Pause click unread.
Play and Pause sit outside the fragment and act in callbacks, so a click is read between frames."""

import streamlit as st

from app.analysis import inside
from app.analysis import run as analysis
from app.figures import inside as fig
from app.figures import run as figures
from app.widgets.controls import digit_choice, epoch_choice, network_choice, remember, remembered, selected_run

SPEEDS = {2: "2 epochs/s", 4: "4 epochs/s", 8: "8 epochs/s", 16: "16 epochs/s"}
GRID_UNITS = 32
PLAYED = "replay_at"  # the epoch a playing replay shows
NEXT = "replay_next"  # the hidden button the browser presses once a frame is drawn

# Run in the page (an st.iframe of HTML is same-origin: it may reach its parent): wait until every chart of the
# fragment is drawn, and those naming an epoch name this frame's, at least 1/speed after the frame
# arrived, then press the hidden Next button (a rerun of the fragment alone, which a click preempts).
NEXT_WHEN_DRAWN = """<script>
const epoch = %(epoch)d, charts = %(charts)d, titled = %(titled)d, due = Date.now() + %(wait)d;
const doc = window.parent.document;
const drawn = () => {
    const plots = [...doc.querySelectorAll('[data-testid=stMain] .js-plotly-plot')];
    const titles = plots.map(p => (p.querySelector('.gtitle') || {}).textContent || '')
        .map(t => t.match(/epoch (\\d+)/)).filter(Boolean);
    return plots.length >= charts && plots.every(p => p.querySelector('.main-svg'))
        && titles.length >= titled && titles.every(t => Number(t[1]) === epoch);
};
const timer = setInterval(() => {
    if (Date.now() < due || !drawn()) return;
    clearInterval(timer);
    requestAnimationFrame(() => requestAnimationFrame(() => {
        const next = doc.querySelector('.st-key-%(key)s button');
        if (next) next.click();
    }));
}, 50);
</script>"""

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
order = inside.unit_order(result, evaluation.X, index)[:GRID_UNITS]
loss_span = inside.loss_span(result.history)


def play_or_pause():
    """The Play/Pause button's callback, run before the script: Pause keeps the epoch on the screen
    (the slider takes over from there); Play starts from it, or from epoch 0 after the last."""
    if st.session_state.get("replay_playing"):
        remember("replay_epoch", st.session_state.get(PLAYED, epochs[-1]))
    else:
        current = st.session_state.get("replay_epoch")
        st.session_state[PLAYED] = epochs[0] if current not in epochs or current == epochs[-1] else current
    st.session_state["replay_playing"] = not st.session_state.get("replay_playing")


playing = bool(st.session_state.get("replay_playing"))
controls = st.columns([1, 6], vertical_alignment="bottom")
controls[0].button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
                   type="primary", width="stretch", key="replay_button", on_click=play_or_pause)
st.html(f"<style>.st-key-{NEXT} {{display: none}}</style>")


def draw(epoch):
    """One whole frame: the header and the five charts, all after ``epoch``."""
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
    return used


@st.fragment
def replay():
    """While playing, each run of this fragment draws one frame; the browser's press of the hidden
    Next button (once that frame is drawn) moves it one epoch on, and after the last it stops."""
    epoch = st.session_state.get(PLAYED, epochs[0])
    position = epochs.index(epoch) if epoch in epochs else 0
    if st.button("Next frame", key=NEXT):
        if position == len(epochs) - 1:  # the last epoch was drawn: stop there
            st.session_state["replay_playing"] = False
            remember("replay_epoch", epochs[-1])
            st.rerun()
        position += 1
    epoch = st.session_state[PLAYED] = epochs[position]
    st.progress(position / max(1, len(epochs) - 1), text=f"Playing: epoch {epoch} of {epochs[-1]}")
    used = draw(epoch)
    st.iframe(NEXT_WHEN_DRAWN % dict(epoch=used, charts=5, titled=4, wait=round(1000 / speed), key=NEXT),
              height="content")  # nothing to show: as high as its content, none


if playing:
    replay()
else:
    draw(epoch_choice(run, "replay_epoch", "Epoch", where=controls[1]))
