"""How it learns: one forward and one backward pass of the selected run on one digit, with its real numbers."""

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

import nncore
from app.analysis import digit as inside_digit
from app.analysis.digit import shown, shown_apart
from app.figures import inside as fig
from app.widgets import notebook
from app.widgets.controls import MEMORY, digit_choice, network_choice, remember, remembered, selected_run
from nncore.lab.glossary import tip

NOTES = Path(__file__).resolve().parents[1] / "docs" / "how-it-learns.md"
ACTIVATIONS = {
    "relu": r"H = \max(0, Z_1)", "leaky_relu": r"H = \max(0.01\,Z_1,\ Z_1)", "tanh": r"H = \tanh(Z_1)",
    "sigmoid": r"H = \sigma(Z_1) = 1 / (1 + e^{-Z_1})"}
DERIVATIVES = {
    "relu": r"f'(Z_1) = 1 \text{ where } H > 0, \text{ else } 0", "leaky_relu": r"f'(Z_1) = 1 \text{ where } H > 0, "
    r"\text{ else } 0.01", "tanh": r"f'(Z_1) = 1 - H^2", "sigmoid": r"f'(Z_1) = H\,(1 - H)"}
# What one step from a fresh optimizer state does on one digit, where it differs from a step in training.
FRESH_STEP = {
    "adam": " From a fresh state Adam's first step is ±η on every weight whose gradient is not 0 (m̂ / √v̂ = ±1 "
            "whatever the gradient's size), unlike training, where its averages over many batches scale each step.",
    "momentum": " From a fresh state (v = 0) the first step is plain SGD's; in training, v also carries the earlier "
                "batches' steps.",
}
# Step 2 for each scaling setting: (title, formula, sentence).
SCALING_STEPS = {
    "standardize": ("2 · Standardize", r"X = \frac{x - \mu}{\sigma}",
                    "Each pixel is shifted by its mean μ and divided by its spread σ over the training digits, so "
                    "all 64 inputs are on one scale around 0; red: more ink than usual, blue: less."),
    "divide": ("2 · Scale", r"X = x / 16",
               "Each pixel is divided by 16, so the inputs lie between 0 and 1; not centred: blank paper is 0, and a "
               "pixel blank in this digit adds nothing to any weighted sum."),
    "none": ("2 · No scaling", r"X = x",
             "This run feeds the raw 0–16 pixels in as they are: the inputs are about 8 times larger than "
             "standardized ones, so every weighted sum, and every step, is that much larger too."),
}
UPDATES = {
    "sgd": r"W \leftarrow W - \eta\, dW",
    "momentum": r"v \leftarrow \mu v + dW, \quad W \leftarrow W - \eta\, v",
    "adam": r"m \leftarrow \beta_1 m + (1-\beta_1)\,dW,\ \ v \leftarrow \beta_2 v + (1-\beta_2)\,dW^2,\ \ "
            r"W \leftarrow W - \eta\, \frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}"}

st.title("How it learns")
run = selected_run("then this page walks one of its digits through a forward and a backward pass, number by number.")

result, config = run.result, run.config
top = st.columns([3, 1, 1])
with top[0]:
    digit = digit_choice(run)
with top[1]:
    index = network_choice(run)
answer = int(result.predict(digit.pixels)[0])  # what Probe a digit said
# A new digit starts from its own label: the true one, or for a drawn or uploaded digit (truth unknown)
# the network's own answer -- never a fixed 0, which taught the network that a 9 it read at 99% is a 0.
known = digit.truth is not None
memory = st.session_state.setdefault(MEMORY, {})
followed = (digit.description, hashlib.sha256(np.asarray(digit.pixels, dtype=float).tobytes()).hexdigest())
if memory.get("how_label digit") != followed:
    memory["how_label digit"] = followed
    remember("how_label", digit.truth if known else answer)
with top[2]:
    label = remembered(st.selectbox, "Label y for the loss" if known else "What digit is it? (label y)", "how_label",
                       digit.truth if known else answer, options=range(10),
                       help="The digit the loss compares the answer with: the true one, or any other to see what a "
                            "wrong label would teach." if known else
                            "Nobody told the network what this digit is: say which digit you meant. The loss and "
                            "the step below teach it that this digit is the one chosen here.")
if not known:
    st.info(f"Label y = {label}: " + (f"**the network's own answer**, since nobody said what this digit is. If you "
                                      f"meant another digit, choose it above: the step below teaches the network "
                                      f"that this digit is a {label}." if label == answer else
                                      f"**your label** (the network answered {answer}): the step below teaches it "
                                      f"that this digit is a {label}."), icon=":material/label:")
walk = inside_digit.walkthrough(result, digit.pixels, label, index)
h = config.hidden
st.markdown(
    f"Training repeats two passes for every batch of digits: a **forward** pass that computes the answer and the loss, "
    f"and a **backward** pass (the chain rule, from the loss back to every weight) that computes how to change each "
    f"weight. Here they run on one digit — {digit.description}, with label y = {label} — through "
    f"{'network ' + str(index + 1) + ' of ' if len(result.models) > 1 else 'the network of '}**{run.name}** as it was "
    f"after epoch {walk.epoch}. Every number is computed by `nncore`'s `MLP.forward` and `MLP.backward`, the code that "
    f"trained the run, for a batch of n = 1.")
st.markdown("**Take it home:** the same run as a Jupyter notebook, every line of this page in code that runs; tick "
            "the exercise to write backward() yourself.")
notebook.download(run, "how")
if NOTES.exists():
    st.caption("Each line is derived in the project's notes: `docs/how-it-learns.md`.")
    with st.expander("Read the notes (docs/how-it-learns.md)", icon=":material/menu_book:"):
        st.markdown(NOTES.read_text(encoding="utf-8"))


def shapes(formula, sizes):
    """A formula with its array shapes on a second line."""
    return r"\begin{gathered}" + formula + r" \\ \small " + sizes + r"\end{gathered}"


def step(title, formula, sentence):
    """A step's heading, its formula and one sentence, in a narrow column; returns the wide one."""
    text, numbers = st.columns([2, 3])
    text.markdown(f"#### {title}")
    text.latex(formula)
    text.markdown(sentence)
    st.divider()
    return numbers


st.header("Forward: from pixels to a loss", help=tip("loss", "cross-entropy"))
area = step("1 · The digit", r"x \in \{0,\dots,16\}^{1 \times 64}",
            "The network sees 64 numbers: the ink in each cell of the 8×8 grid.")
area.plotly_chart(fig.pixel_map(walk["raw"], "x: raw pixels (1 × 64, drawn 8×8)", diverging=False, height=280))

area = step(*SCALING_STEPS[config.scaling])
cells = area.columns([2, 3])
cells[0].plotly_chart(fig.pixel_map(walk["X"], "X (1 × 64)", height=280))
cells[1].dataframe(inside_digit.styled(inside_digit.pixel_table(walk)), hide_index=True)
cells[1].caption("The six most inked pixels.")

area = step("3 · Weighted sums",
            shapes(r"Z_1 = X\,W_1 + b_1", f"(1 \\times 64)(64 \\times {h}) + ({h}) \\to (1 \\times {h})"),
            f"Each of the {h} hidden units adds up the 64 inputs, each times its own weight (a column of W1), plus "
            "its bias.")
cells = area.columns(2)
cells[0].plotly_chart(fig.matrix_heatmap(*inside_digit.first_units(walk["W1"], "W1"), "unit", "pixel", height=320))
cells[1].plotly_chart(fig.activation_bars(walk["Z1"][0], title=f"Z1 (1 × {h}): the weighted sums"))

area = step("4 · Activation", ACTIVATIONS[walk.activation],
            f"The nonlinearity ({walk.activation}) decides how much each unit passes on: "
            f"{inside_digit.active_units(walk)} of {h} units {inside_digit.FIRE_WORDS[walk.activation]} "
            "for this digit.")
cells = area.columns(2)
cells[0].plotly_chart(fig.activation_bars(walk["H"][0], title=f"H (1 × {h}): the activations"))
cells[1].dataframe(inside_digit.styled(inside_digit.unit_table(walk, ["Z1", "H"])), hide_index=True)

area = step("5 · Scores", shapes(r"\text{logits} = H\,W_2 + b_2", f"(1 \\times {h})({h} \\times 10) + (10) \\to "
                                                                   r"(1 \times 10)"),
            "Each digit's score adds up the hidden units' activations, each times the unit's vote for that digit (a "
            "column of W2).")
cells = area.columns(2)
cells[0].plotly_chart(fig.matrix_heatmap(*inside_digit.first_units(walk["W2"], "W2", 0), "digit", "unit", height=320))
cells[1].dataframe(inside_digit.styled(inside_digit.class_table(walk, ["logits", "P", "onehot"])), hide_index=True,
                   height=390)

area = step("6 · Softmax and cross-entropy", r"P_k = \frac{e^{\text{logit}_k}}{\sum_j e^{\text{logit}_j}}, \qquad "
            r"L = -\log P_y" + (r" + \frac{\lambda}{2}(\lVert W_1 \rVert^2 + \lVert W_2 \rVert^2)" if walk.l2 else ""),
            f"The softmax turns scores into probabilities (the table above, column P); the loss is small when the "
            f"label's probability is near 1. Here P_{label} = {shown(walk['P'][0, label])}, so "
            f"L = **{shown(walk.loss)}**.")
area.metric("Loss L", shown(walk.loss))
if walk.loss < 0.05:
    area.info(f"The network already gives the label {label} a probability of {shown(walk['P'][0, label])}: every "
              "gradient below is tiny. "
              "Choose another label above (or a digit it gets wrong) to see a big correction.",
              icon=":material/lightbulb:")

st.header("Backward: from the loss to every weight", help=tip("backpropagation", "gradient"))
area = step("7 · Error at the output", r"d\text{logits} = \frac{P - \text{onehot}(y)}{n}",
            "Softmax and cross-entropy together have the simplest gradient: the probabilities minus the label. "
            "Positive: the score was too high; negative (at the label): too low.")
area.dataframe(inside_digit.styled(inside_digit.class_table(walk, ["P", "onehot", "dlogits"])), hide_index=True,
               height=390)

area = step("8 · Gradient of W2 and b2", r"dW_2 = H^\top d\text{logits}" + (r" + \lambda W_2" if walk.l2 else "")
            + r", \qquad db_2 = \textstyle\sum_{\text{batch}} d\text{logits}",
            "A vote changes in proportion to its unit's activation H and how wrong that digit's score was: "
            + inside_digit.BLAME_WORDS[walk.activation])
cells = area.columns(2)
cells[0].plotly_chart(fig.matrix_heatmap(*inside_digit.first_units(walk["dW2"], "dW2", 0), "digit", "unit",
                                         height=320), key="dW2")
largest = inside_digit.entries(walk["dW2"]).rename(columns={"row": "unit", "column": "digit"})
cells[1].dataframe(inside_digit.styled(largest), hide_index=True)

area = step("9 · Back into the hidden layer", r"dH = d\text{logits}\,W_2^\top, \qquad dZ_1 = dH \odot f'(Z_1), "
            r"\quad " + DERIVATIVES[walk.activation],
            "The error flows back along the same votes; then through the activation, "
            + inside_digit.PASS_WORDS[walk.activation])
area.dataframe(inside_digit.styled(inside_digit.unit_table(walk, ["H", "dH", "dZ1"], by="dZ1")), hide_index=True)

unit = inside_digit.busiest_unit(walk)
area = step("10 · Gradient of W1 and b1", r"dW_1 = X^\top dZ_1" + (r" + \lambda W_1" if walk.l2 else "")
            + r", \qquad db_1 = \textstyle\sum_{\text{batch}} dZ_1",
            f"Each unit's 64 input weights get the input itself, times that unit's error: the column of dW1 for unit "
            f"{unit} (the unit with the largest error) is this digit, scaled by "
            f"dZ1 = {shown(walk['dZ1'][0, unit], plus=True)}.")
cells = area.columns(2)
cells[0].plotly_chart(fig.matrix_heatmap(*inside_digit.first_units(walk["dW1"], "dW1"), "unit", "pixel", height=320),
                      key="dW1")
cells[1].plotly_chart(fig.pixel_map(inside_digit.column(walk["dW1"], unit), f"dW1 of unit {unit}, drawn 8×8",
                                    height=300))
largest = inside_digit.entries(walk["dW1"]).rename(columns={"row": "pixel", "column": "unit"})
area.dataframe(inside_digit.styled(largest), hide_index=True)

before, after = shown_apart(walk.loss, walk.loss_after)
area = step(f"11 · The update ({walk.optimizer})", UPDATES[walk.optimizer],
            f"The optimizer moves every weight a little against its gradient (η = {walk.lr:g}"
            + (", a fresh state as at the first step" if walk.optimizer != "sgd" else "")
            + f"). On this digit alone the loss goes from {before} to **{after}**."
            + FRESH_STEP.get(walk.optimizer, ""))
cells = area.columns(2)
cells[0].plotly_chart(fig.pixel_map(inside_digit.column(walk.steps["W1"], unit), f"change of unit {unit}'s W1 column",
                                    height=300))
change = inside_digit.first_units(walk.steps["W2"], "change of W2", 0)
cells[1].plotly_chart(fig.matrix_heatmap(*change, "digit", "unit", height=300))
rows = len(nncore.data.training_indices(config.seed, config.val_share, config.train_share)) * (1 + config.augment)
batch = min(config.batch, rows)
st.caption(f"Training does exactly this for every batch of {batch} digits (the gradients averaged over the batch), "
           f"{-(-rows // batch)} batches an epoch, {result.epochs_run} epochs long.")
