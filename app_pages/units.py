"""Hidden units: what each hidden unit looks for (its 8×8 input weights) and which digits it votes for."""

import streamlit as st

from app import inside, views
from app import inside_figures as fig
from app.inside_controls import epoch_choice, network_choice, new_click, remember, remembered, selected_run

PAGE_UNITS = 64
# What a weight's colour means, per scaling: standardized inputs are deviations from the mean digit.
INPUT_WORDS = {
    "standardize": "The inputs are standardized pixels, deviations from the mean training digit: a red weight pushes "
                   "the unit up where this digit has more ink than usual, and down where it has less, so a pixel left "
                   "blank where digits are usually inked votes too (against the red).",
    "divide": "The inputs are the pixels ÷ 16 (0 to 1): a red weight pushes the unit up where the digit has ink, a "
              "blue one down; blank pixels add nothing.",
    "none": "The inputs are the raw pixels (0 to 16): a red weight pushes the unit up where the digit has ink, a blue "
            "one down; blank pixels add nothing.",
}

st.title("Hidden units")
run = selected_run("this page then draws what each of its hidden units has learned to look for.")

result, evaluation = run.result, run.evaluation()
st.caption(f"Run **{run.name}**. Each hidden unit computes a weighted sum of its 64 inputs: its 64 input weights (a "
           "column of W1), drawn as an 8×8 image, are the pattern it looks for. "
           + INPUT_WORDS[run.config.scaling] + " The unit then votes for each digit with its row of W2. "
           + inside.blank_text(inside.blank_pixels(result), run.config.l2))
controls = st.columns([2, 2, 3])
with controls[0]:
    index = network_choice(run)
    order_by = remembered(st.segmented_control, "Order", "units_order", "importance", options=["importance", "number"],
                          format_func={"importance": "importance", "number": "unit number"}.get,
                          required=True, help="Importance: the unit's mean |activation| on the test digits times "
                                              "the size of its votes (its W2 row), with the kept weights.")
with controls[1]:
    epoch = epoch_choice(run, "units_epoch", help="The weights after this epoch (0: the random initial weights). "
                                                  "The Replay page plays them in order.")
order = inside.unit_order(result, evaluation.X, index) if order_by == "importance" else range(result.config.hidden)
order = list(order)
with controls[2]:
    pages = -(-len(order) // PAGE_UNITS)
    page = 0
    if pages > 1:
        page = remembered(st.selectbox, f"Units ({len(order)} in all)", "units_page", 0,
                          valid=lambda value: value in range(pages), options=range(pages),
                          format_func=lambda p: f"{p * PAGE_UNITS + 1}–{min((p + 1) * PAGE_UNITS, len(order))}"
                          + (" (most important)" if p == 0 and order_by == "importance" else ""))
shown = order[page * PAGE_UNITS:(page + 1) * PAGE_UNITS]
grid = inside.unit_grid(result, epoch, shown, index)

click = new_click("unit_tiles", curve=1)
if click:
    remember("units_unit", int(click["customdata"]))
left, right = st.columns([3, 2])
with right:
    unit = remembered(st.selectbox, "Unit", "units_unit", shown[0], valid=lambda value: value in order,
                      options=order, help="Click a unit in the grid, or pick one here.")
with left:
    st.plotly_chart(fig.unit_mosaic(grid, chosen=unit), key="unit_tiles", on_select="rerun",
                    selection_mode=("points",))
    st.caption("Labels: unit→the digit it votes for most. Hover a unit for its weight to every digit; click one to "
               "see it in detail (outlined). One colour scale for all units and epochs of this run.")
with right:
    detail = inside.unit_grid(result, epoch, [unit], index)
    st.plotly_chart(fig.unit_detail(detail.images[0], detail.votes[0], unit, detail.scale, detail.epoch,
                                    detail.blank))
    response = inside.unit_response(result, evaluation.X, evaluation.y, epoch, index)[unit]
    st.plotly_chart(fig.response_bars(response, unit))
    st.markdown(inside.unit_summary(unit, response, detail.votes[0]))
    positions, activations = inside.top_digits(result, evaluation.X, evaluation.y, unit, epoch, index)
    st.caption(f"The test digits that make unit {unit} fire most:")
    views.digit_gallery(evaluation.X[positions], [f"H = {a:.1f}" for a in activations], columns=6, scale=6)

voters = inside.strongest_voters(result, epoch, index)
st.plotly_chart(fig.unit_mosaic(inside.unit_grid(result, epoch, voters, index), columns=10,
                                labels=[f"for {d}: {u}" for d, u in enumerate(voters)],
                                title="For each digit 0–9, the unit with the largest weight to it", width=900))
