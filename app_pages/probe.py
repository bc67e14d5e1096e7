"""Probe a digit: a test digit, an upload or a drawing beside the network's answer, then how the
picture was read."""

import hashlib

import numpy as np
import streamlit as st
from PIL import Image

import nncore
from app.analysis import run as analysis
from app.figures import run as figures
from app.state import runs
from app.widgets import controls, sidebar, views

st.title("Probe a digit")
all_runs = list(reversed(runs.all_runs()))
selected = runs.selected()


@st.cache_data(max_entries=32, show_spinner=False)
def read_upload(digest, payload):
    """The DigitSteps of an uploaded file, or the sentence saying why it is not a digit; decoded
    once per content (``digest``), however often the page reruns."""
    try:
        return nncore.digit_steps(payload), None
    except nncore.ImageError as exc:
        return None, str(exc)


def pick_test_digit():
    """A test digit of the shown run, picked by index, class, at random or among its mistakes:
    (pixels, true digit), or (None, None)."""
    if selected is None:
        views.no_runs_yet("then pick any of its test digits here, or upload or draw one.")
        return None, None
    evaluation = selected.evaluation()
    how = st.radio("Pick by", ["index", "class", "random", "misclassified"], horizontal=True, key="probe_pick")
    if how == "index":
        position = st.number_input(f"Test digit (0–{len(evaluation.y) - 1})", 0, len(evaluation.y) - 1, 0,
                                   key="probe_index")
    elif how in ("class", "random"):
        cells = st.columns([2, 1], vertical_alignment="bottom")
        if how == "class":
            digit = cells[0].selectbox("Class", range(10), key="probe_class")
            members = np.flatnonzero(evaluation.y == digit)
        else:
            members = np.arange(len(evaluation.y))
        if cells[1].button("Another one", icon=":material/casino:") or "probe_draw" not in st.session_state:
            st.session_state["probe_draw"] = int(np.random.default_rng().integers(1 << 30))
        position = int(members[st.session_state["probe_draw"] % len(members)])
        if how == "random":
            cells[0].markdown(f"Test digit **#{position}**")
    else:
        wrong = evaluation.misclassified()
        if len(wrong) == 0:
            st.success("This run classifies every test digit correctly: nothing to show here.")
            return None, None
        position = st.selectbox("Misclassified digit", wrong, key="probe_wrong", format_func=lambda i: (
            f"#{i}: true {evaluation.y[i]}, predicted {evaluation.predicted[i]} ({evaluation.probs[i].max():.0%})"))
    st.image(figures.digit_picture(evaluation.X[position], 20), caption=f"test digit #{position}", width=160)
    st.caption(f"True digit: **{evaluation.y[position]}**")
    return evaluation.X[position], int(evaluation.y[position])


def read_picture():
    """An uploaded picture's DigitSteps, or None (with the reason shown)."""
    upload = st.file_uploader("Upload an image of a digit", type=["png", "jpg", "jpeg", "gif", "bmp", "webp"],
                              key="probe_upload", help="Any size; dark ink on light paper or light on dark; "
                              "colour or grey. One digit per image, roughly centred.")
    if upload is None:
        st.info("Upload a photo or scan of one handwritten digit.", icon=":material/upload:")
        return None
    payload = upload.getvalue()
    steps, problem = read_upload(hashlib.sha256(payload).hexdigest(), payload)
    if problem:
        st.error(f"Could not read a digit from **{upload.name}**: {problem}", icon=":material/error:")
    return steps


def read_drawing():
    """The drawing's DigitSteps, or None (with what to do shown)."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception as exc:  # an optional component: the rest of the page works without it
        st.error(f"The drawing canvas is not available here ({exc}). Install `streamlit-drawable-canvas` "
                 "or upload an image instead.")
        return None
    st.caption("Draw one digit, large and centred. The bin icon above the canvas starts over.")
    st.write("")  # room for the canvas's toolbar, which floats above it
    canvas = st_canvas(stroke_width=22, stroke_color="#000000", background_color="#ffffff", height=280, width=280,
                       drawing_mode="freedraw", key="probe_canvas", return_image_data=True)
    drawing = canvas.image_data if canvas is not None else None
    if drawing is None or drawing[..., :3].min() > 200:
        st.info("Draw a digit on the canvas above.", icon=":material/draw:")
        return None
    try:
        return nncore.digit_steps(Image.fromarray(drawing.astype(np.uint8)))
    except nncore.ImageError as exc:
        st.error(f"Could not read a digit from the drawing: {exc}", icon=":material/error:")
        return None


left, right = st.columns(2, gap="large")  # the input and the answer side by side (stacked on a phone)
with left:
    # a widget's state goes when another page is shown: the source is kept beside it and given back
    st.session_state.setdefault("probe_source", st.session_state.get("probe_source_kept", "Test digit"))
    source = st.segmented_control("Digit source", ["Test digit", "Upload", "Draw"], key="probe_source",
                                  required=True)
    st.session_state["probe_source_kept"] = source
    sample, steps, truth = None, None, None
    if source == "Test digit":
        sample, truth = pick_test_digit()
    else:
        steps = read_picture() if source == "Upload" else read_drawing()
        sample = None if steps is None else steps.sample

with right:
    if sample is None:
        st.caption("The network's answer shows here.")
    elif selected is None:
        views.no_runs_yet("then this shows what the network answers for this digit.")
    else:
        names = [run.name for run in all_runs]
        if st.session_state.get("probe_runs_for") != selected.name:  # a new selection starts a new comparison
            st.session_state["probe_runs_for"] = selected.name
            st.session_state["probe_runs_kept"] = [selected.name]
            st.session_state.pop("probe_runs", None)
        # The box's own state goes while it is not drawn (nothing to answer: the canvas emptied by its bin,
        # another page): the comparison is kept beside it and given back then, without deleted runs.
        kept = st.session_state.get("probe_runs", st.session_state.get("probe_runs_kept", []))
        wanted = [n for n in kept if n in names] or [selected.name]
        if st.session_state.get("probe_runs") != wanted:  # only then: setting it on every rerun undoes each ×
            st.session_state["probe_runs"] = wanted
        chosen = [runs.get(n) for n in st.session_state["probe_runs"]]
        probs = {run.name: run.result.predict_proba(sample)[0] for run in chosen}
        for name, p in probs.items():
            (first, p1), (second, p2) = analysis.top_guesses(p)
            verdict = "" if truth is None else (" ✓" if first == truth else f" ✗ (true {truth})")
            st.markdown(f"### **Prediction: {first}** ({views.probability_text(p1)}){verdict}\n"
                        f"second guess {second} ({views.probability_text(p2)})"
                        + (f" · _{name}_" if len(probs) > 1 else ""))
        st.plotly_chart(figures.softmax_bars(probs, {run.name: run.color for run in chosen}))
        st.session_state["probe_runs_kept"] = st.multiselect(
            "Runs", names, key="probe_runs", wrap=True,  # in a column its tags would scroll, clipping the first
            help="Pick several runs to see their answers side by side.")

if sample is not None:
    controls.probed(sample, truth, source)
if steps is not None:
    if selected is not None and selected.config.augment == 0:
        st.info(f"**{selected.name}** was trained on the Digits scans only. Digits drawn with a mouse or "
                "photographed today look different: on 500 digits written by other people, the default settings "
                "read about 71% right and the handwriting preset (trained on distorted copies too, 3 networks "
                "averaged) about 85%. It takes about 2 seconds to train.", icon=":material/lightbulb:")
        try:
            preset, fixed = sidebar.preset_config()
        except nncore.ConfigError as exc:
            st.caption(f"The handwriting preset does not go with the settings your teacher fixed: {exc}")
        else:
            if fixed:
                st.caption(":material/lock: Your teacher fixed " + ", ".join(
                    f"{name} = {getattr(preset, name)}" for name in fixed) + ": the preset keeps "
                    + ("it" if len(fixed) == 1 else "them") + f", so it trains {preset.name}.")
            st.button("Train the handwriting preset", on_click=sidebar.use_preset, kwargs={"train": True},
                      type="primary", help=preset.name, icon=":material/draw:")
    st.subheader("How the picture was read")
    st.caption("Ink found → cropped and fitted to a 32×32 frame like the Digits scans → ink counted in 4×4 blocks: "
               "the 64 numbers the network sees.")
    cells = st.columns(4)
    cells[0].image(steps.grey, caption="your image (grey)", clamp=True, width=160)
    cells[1].image(steps.ink, caption="ink found", clamp=True, width=160)
    cells[2].image(1.0 - steps.frame, caption="32×32 frame", clamp=True, width=160)
    cells[3].plotly_chart(figures.digit_heatmap(steps.sample, "8×8 input (0–16)"), width="content")
