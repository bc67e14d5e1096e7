"""One digit, step by step: the probed digit through the network, and which pixels would change its answer."""

import streamlit as st

from app import figures, inside, inside_digit
from app import inside_figures as fig
from app.inside_controls import digit_choice, network_choice, remembered, selected_run

TOP_UNITS = 8
SATURATE = 0.95  # saliency colours saturate at this quantile: a few rarely inked pixels would wash out the rest

st.title("One digit, step by step")
run = selected_run("then follow one digit through its network here: what fires, what votes, and why.")

result = run.result
top = st.columns([3, 1])
with top[0]:
    digit = digit_choice(run)
with top[1]:
    index = network_choice(run)
per_std = remembered(st.toggle, "Saliency per standard deviation of each pixel", "path_per_std", False,
                     help="Off: per unit of raw ink (0–16). On: per typical variation of that pixel in training "
                          "(d logit / d X): pixels that are almost never inked stop dominating.")
path = inside_digit.digit_path(result, digit.pixels, index, per_std=per_std)
ensemble = len(result.models) > 1
verdict = "" if digit.truth is None else " ✓" if path.predicted == digit.truth else f" ✗ (it is a {digit.truth})"
st.markdown(f"Run **{run.name}** reads {digit.description} as **{path.predicted}** "
            f"({path.probs[path.predicted]:.1%}){verdict}"
            + (f". Below: inside network {index + 1} of {len(result.models)}, which alone reads it as "
               f"**{path.network_predicted}**; the run averages the networks' softmax outputs." if ensemble else "."))

st.subheader("1 · What goes in")
cells = st.columns(4)
cells[0].plotly_chart(fig.pixel_map(digit.pixels, "Raw pixels (0–16)", diverging=False, height=300))
cells[1].plotly_chart(fig.pixel_map(path.X, "Standardized input X", height=300))
wrt = "X" if per_std else "pixel"
cells[2].plotly_chart(fig.pixel_map(path.saliency, f"Saliency: d logit({path.predicted}) / d {wrt}", ink=digit.pixels,
                                    height=300, saturate=SATURATE))
with cells[3]:
    other_default = path.runner_up
    other = remembered(st.selectbox, "What would make it a…", "path_other_digit", other_default, options=range(10),
                       help="The gradient of that digit's logit (its score before the softmax) with respect to "
                            "each raw pixel: red pixels, inked more, would raise it; blue ones would lower it.")
    st.plotly_chart(fig.pixel_map(inside_digit.saliency(result, digit.pixels, other, per_std),
                                  f"d logit({other}) / d {wrt}", ink=digit.pixels, height=260, saturate=SATURATE))
st.caption("X = (pixel − mean) / std, per pixel, with the training split's mean and std: red is more ink than usual "
           "there, blue less. The saliency maps show how the logit of a digit (its score before the softmax) would "
           "change if a pixel had a little more ink (red: it would rise; outline: the digit's ink), through the "
           "scaling and the whole network (computed by the same backward pass that trains). The logit, not the "
           "probability: d P / d pixel carries a factor P (1 − P) that all but vanishes once the network is sure, "
           "so a confident digit's map would show only noise. Colours saturate at the 95th percentile; "
           "hover for the values. Per raw pixel, the edge pixels that are almost never inked dominate: a little ink "
           "there is a large change to the network's standardized input.")

st.subheader("2 · Which hidden units fire, and how they vote")
left, right = st.columns(2)
left.plotly_chart(fig.activation_bars(path.H, path.top_units))
left.caption(f"{path.active} of {len(path.H)} units {inside_digit.FIRE_WORDS[path.activation]} for this digit. "
             "In red: the "
             f"{len(path.top_units)} that pushed the logit of {path.network_predicted} hardest, either way.")
right.plotly_chart(fig.contribution_waterfall(path.contributions, path.top_units, path.b2, path.network_predicted))
right.caption("Each unit adds its activation × its weight to the digit (H_j × W2[j, d]) to the logit; the bias starts "
              "it off. Red raises the score, blue lowers it.")
st.plotly_chart(fig.unit_mosaic(inside.unit_grid(result, None, path.top_units, index), columns=TOP_UNITS,
                                title=f"What those {len(path.top_units)} units look for (their input weights)"))

st.subheader("3 · Scores, then probabilities")
left, right = st.columns(2)
left.plotly_chart(fig.logit_bars(path.logits))
right.plotly_chart(figures.softmax_bars({run.name: path.probs}, {run.name: run.color}))
st.caption("The softmax turns the 10 logits into probabilities: exp(logit) / the sum of all ten. A lead of a few "
           "units in logit is already a near-certain answer." + (" The probabilities are the run's: the average "
                                                                  "of its networks'." if ensemble else ""))
