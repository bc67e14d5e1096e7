"""Where the classes live: the test digits in 2-D, as raw pixels and as the hidden layer sees them."""

import numpy as np
import streamlit as st

from app.analysis import inside
from app.figures import inside as fig
from app.figures import run as figures
from app.server import trainer
from app.state import runs
from app.widgets.controls import network_choice, new_click, remember, remembered, selected_run
from nncore.lab.cost import duration
from nncore.lab.glossary import tip

st.title("Where the classes live")
run = selected_run("then see here how its hidden layer pulls the ten digits apart.")

result, evaluation = run.result, run.evaluation()
st.caption(f"Run **{run.name}**. Each dot is a test digit, placed by a 2-D projection: on the left of its 64 pixels, "
           f"on the right of its {result.config.hidden} hidden activations. Colour: the true digit; black ring: the "
           "network gets it wrong. PCA's two directions are those along which the training digits spread most. "
           "Digits of one colour that sit together, apart from the others, are easy to tell apart: the hidden layer "
           "is trained to make them so, for the output layer's straight-line boundaries.")
top = st.columns([2, 2, 3])
with top[0]:
    method = remembered(st.segmented_control, "Projection", "classes_method", "PCA", options=list(inside.PROJECTIONS),
                        required=True, help=tip("PCA", "t-SNE")
                        + "  \nPCA is instant; t-SNE takes seconds (the estimate is shown while it runs).")
with top[1]:
    index = network_choice(run)
shown = np.arange(len(evaluation.y))  # the test digits placed in the views
if method == "t-SNE":
    budget, owner = trainer.budget_seconds(), str(id(runs.current()))
    keep, seconds = inside.tsne_plan(len(shown), result.config.hidden, budget)
    sample = (f" on {keep} of the {len(shown)} test digits, drawn at random: all of them would take longer than "
              f"this server's budget of {duration(budget)}" if keep < len(shown) else " on the test digits")
    with st.spinner(f"Running t-SNE{sample} (about {duration(seconds)}, once per run, in its turn in the "
                    "training queue)…"):
        views_xy = inside.projections(result, evaluation.X, method, index, keep,
                                      lambda: trainer.shared_queue().turn(owner, seconds))
    shown = inside.subsample(len(shown), keep, result.config.seed)
    if keep < len(evaluation.y):
        st.caption(f"t-SNE{sample}.")
else:
    views_xy = inside.projections(result, evaluation.X, method, index)

for name in views_xy:  # a click on either plot picks the digit shown below (any trace: each class is one)
    click = next(filter(None, (new_click(f"classes_{name}", curve) for curve in range(11))), None)
    if click:
        remember("classes_digit", int(click["customdata"]))
columns = st.columns(2)
scores = {name: inside.separation(xy, evaluation.y[shown]) for name, xy in views_xy.items()}
spread = inside.explained_spread(result, index) if method == "PCA" else None
for column, (name, xy) in zip(columns, views_xy.items(), strict=True):
    score = scores[name]
    box, outside = inside.view_box(xy)
    with column:
        st.plotly_chart(fig.class_projection(xy, evaluation.y[shown], evaluation.predicted[shown],
                                             f"{method} of the {name}", box, shown), key=f"classes_{name}",
                                on_select="rerun", selection_mode=("points",))
        st.caption(f"A 5-nearest-neighbour vote in this 2-D view gets **{score:.0%}** of the test digits right."
                   + (f" {outside} digit{'s lie' if outside > 1 else ' lies'} outside the view (zoom out with a "
                      "double click)." if outside else "")
                   + (f" These two directions hold **{spread[name]:.0%}** of the spread of the training digits' "
                      f"{name}: the rest is out of sight, so digits that overlap here may lie apart in the other "
                      "directions." if spread else ""))
if method == "t-SNE":
    raw, hidden = scores["raw pixels"], scores["hidden layer"]
    st.info(f"Reading t-SNE: it keeps each digit near its nearest neighbours (perplexity "
            f"{inside.tsne_perplexity(len(evaluation.y)):g}) but not distances, so the size of a cluster and the "
            "gaps between clusters mean nothing, and another seed draws another picture. Here the raw pixels' view "
            f"scores {raw:.0%} and the hidden layer's {hidden:.0%}"
            + (": t-SNE already separates raw pixels about as well, since digits of one class are near neighbours "
               "in pixel space too. It shows neighbourhoods, not how much the network learned: its test accuracy "
               "does." if hidden - raw < 0.05 else
               ": the hidden layer's neighbourhoods are purer than the pixels'."), icon=":material/info:")

st.subheader("A digit from the plot")
last = len(evaluation.y) - 1
left, middle, right = st.columns([1, 1, 2])
with left:
    position = remembered(st.number_input, f"Test digit (0–{last})", "classes_digit", 0, min_value=0,
                          max_value=last, valid=lambda value: isinstance(value, int) and 0 <= value <= last,
                          help="Click a dot in either plot, or type its number.")
    st.markdown(f"True digit **{evaluation.y[position]}**, read as **{evaluation.predicted[position]}**.")
middle.plotly_chart(fig.pixel_map(evaluation.X[position], f"Test digit #{position}", diverging=False, height=260))
right.plotly_chart(figures.softmax_bars({run.name: evaluation.probs[position]}, {run.name: run.color})
                   .update_layout(height=300))
