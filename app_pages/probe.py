"""Probe a digit: a test digit, an upload or a drawing, what the network sees, and its answer."""

import numpy as np
import streamlit as st
from PIL import Image

import nncore
from app import analysis, figures, runs, sidebar, views

st.title("Probe a digit")
st.caption("Pick a digit from the test split, upload a picture of one, or draw one. The image is reduced to 8×8 the "
           "way the Digits data was made (ink cropped, fitted to the frame, 4×4 blocks counted to 0–16), then fed "
           "to the network.")

all_runs = list(reversed(runs.all_runs()))
selected = runs.selected()
source = st.segmented_control("Digit source", ["Test digit", "Upload", "Draw"], default="Test digit",
                              key="probe_source", required=True)

sample, steps, truth = None, None, None
if source == "Test digit":
    if selected is None:
        views.no_runs_yet("then pick any of its test digits here, or upload or draw one.")
        views.dataset_overview()
        st.stop()
    evaluation = selected.evaluation()
    how = st.radio("Pick by", ["index", "class", "random", "misclassified"], horizontal=True, key="probe_pick",
                   captions=[f"0–{len(evaluation.y) - 1} in the test split", "a random test digit of one class",
                             "any test digit", "the run's mistakes, most confident first"])
    if how == "index":
        position = st.number_input("Test digit", 0, len(evaluation.y) - 1, 0, key="probe_index")
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
            st.stop()
        position = st.selectbox("Misclassified digit", wrong, key="probe_wrong", format_func=lambda i: (
            f"#{i}: true {evaluation.y[i]}, predicted {evaluation.predicted[i]} ({evaluation.probs[i].max():.0%})"))
    sample, truth = evaluation.X[position], int(evaluation.y[position])
elif source == "Upload":
    upload = st.file_uploader("Upload an image of a digit", type=["png", "jpg", "jpeg", "gif", "bmp", "webp"],
                              key="probe_upload", help="Any size; dark ink on light paper or light on dark; "
                              "colour or grey. One digit per image, roughly centred.")
    if upload is None:
        st.info("Upload a photo or scan of one handwritten digit.", icon=":material/upload:")
        st.stop()
    try:
        steps = nncore.digit_steps(upload.getvalue())
    except nncore.ImageError as exc:
        st.error(f"Could not read a digit from **{upload.name}**: {exc}", icon=":material/error:")
        st.stop()
else:
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception as exc:  # an optional component: the rest of the page works without it
        st.error(f"The drawing canvas is not available here ({exc}). Install `streamlit-drawable-canvas` "
                 "or upload an image instead.")
        st.stop()
    st.caption("Draw one digit with the mouse, large and centred. The bin icon above the canvas starts over.")
    st.write("")  # room for the canvas's toolbar, which floats above it
    canvas = st_canvas(stroke_width=22, stroke_color="#000000", background_color="#ffffff", height=280, width=280,
                       drawing_mode="freedraw", key="probe_canvas", return_image_data=True)
    drawing = canvas.image_data if canvas is not None else None
    if drawing is None or drawing[..., :3].min() > 200:
        st.info("Draw a digit on the canvas above.", icon=":material/draw:")
        st.stop()
    try:
        steps = nncore.digit_steps(Image.fromarray(drawing.astype(np.uint8)))
    except nncore.ImageError as exc:
        st.error(f"Could not read a digit from the drawing: {exc}", icon=":material/error:")
        st.stop()

if steps is not None:
    sample = steps.sample
    if selected is not None and selected.config.augment == 0:
        cells = st.columns([4, 1], vertical_alignment="center")
        cells[0].info(f"**{selected.name}** was trained on the Digits scans only. Digits drawn with a mouse or "
                      "photographed today look different: the handwriting preset trains on distorted copies too "
                      "and reads them far better (see the README's figures).", icon=":material/lightbulb:")
        cells[1].button("Train the handwriting preset", on_click=sidebar.use_preset, kwargs={"train": True},
                        type="primary", help=nncore.handwriting_config().name)
    st.caption("How the picture is read: ink found → cropped and fitted to a 32×32 frame like the Digits scans → "
               "ink counted in 4×4 blocks.")
    cells = st.columns(4)
    cells[0].image(steps.grey, caption="your image (grey)", clamp=True, width=160)
    cells[1].image(steps.ink, caption="ink found", clamp=True, width=160)
    cells[2].image(1.0 - steps.frame, caption="32×32 frame", clamp=True, width=160)
    with cells[3]:
        st.image(figures.digit_picture(sample, 20), caption="8×8 input (0–16)", width=160)

left, right = st.columns([2, 3])
with left:
    st.plotly_chart(figures.digit_heatmap(sample), width="content")
    if truth is not None:
        st.caption(f"True digit: **{truth}**")

with right:
    if selected is None:
        views.no_runs_yet("then this shows what the network answers for this digit.")
        st.stop()
    names = [run.name for run in all_runs]
    if st.session_state.get("probe_runs_for") != selected.name:  # a new selection starts a new comparison
        st.session_state["probe_runs_for"] = selected.name
        st.session_state["probe_runs"] = [selected.name]
    st.session_state["probe_runs"] = [name for name in st.session_state.get("probe_runs", []) if name in names]
    chosen = st.multiselect("Runs", names, key="probe_runs",
                            help="Pick several runs to see their answers side by side.") or [selected.name]
    probs = {name: runs.get(name).result.predict_proba(sample)[0] for name in chosen}
    for name, p in probs.items():
        (first, p1), (second, p2) = analysis.top_guesses(p)
        verdict = "" if truth is None else (" ✓" if first == truth else f" ✗ (true {truth})")
        st.markdown(f"**Prediction: {first}** ({p1:.1%}){verdict} · second guess {second} ({p2:.1%})"
                    + (f" · _{name}_" if len(probs) > 1 else ""))
    st.plotly_chart(figures.softmax_bars(probs))
st.session_state["probe_sample"] = {"pixels": sample.tolist(), "truth": truth, "source": source}
