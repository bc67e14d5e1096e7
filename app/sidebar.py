"""The shared sidebar: training settings with their bounds, the Train button, the run selector,
and keeping all of it in the URL so a link or a refresh brings the same settings and runs back."""

import streamlit as st

import nncore
from nncore.config import BOUNDS

from . import links, runs

# setting -> (label, step, format); the bounds, choices and help come from nncore's BOUNDS.
WIDGETS = {
    "epochs": ("Epochs", 1, None),
    "hidden": ("Hidden units", 8, None),
    "lr": ("Learning rate", 0.01, "%g"),
    "batch": ("Batch size", 8, None),
    "seed": ("Seed", 1, None),
    "optimizer": ("Optimizer", None, None),
    "activation": ("Activation", None, None),
    "momentum": ("Momentum", 0.05, "%g"),
    "l2": ("L2 weight decay", 0.0001, "%g"),
    "schedule": ("Learning-rate schedule", None, None),
    "patience": ("Early-stopping patience", 1, None),
    "val_share": ("Validation share", 0.05, "%.2f"),
    "augment": ("Augmented copies", 1, None),
    "ensemble": ("Averaged networks", 1, None),
}
MORE = ("momentum", "l2", "schedule", "patience", "val_share", "augment", "ensemble")


def _key(name):
    return f"setting_{name}"


def restore_from_url():
    """On a session's first run: settings and runs from the URL. Returns the run configs to
    restore (a list, empty when there is nothing to do) and notes on what the URL got wrong."""
    if st.session_state.get("url_restored"):
        return [], []
    st.session_state["url_restored"] = True
    settings, run_configs, notes = links.from_params(st.query_params.to_dict() | {
        "run": st.query_params.get_all("run")})
    for name in WIDGETS:
        st.session_state[_key(name)] = getattr(settings, name)
    return run_configs, notes


def settings_controls():
    """Draw the settings and the Train button; returns (TrainConfig, train clicked)."""
    defaults = nncore.TrainConfig()
    values = {}
    with st.sidebar:
        st.header("Train the network")
        more = st.expander("More settings", icon=":material/tune:")
        for name, (label, step, fmt) in WIDGETS.items():
            setting = BOUNDS[name]
            st.session_state.setdefault(_key(name), getattr(defaults, name))
            where = more if name in MORE else st
            help_text = f"{setting.help[0].upper()}{setting.help[1:]}. Allowed: {setting.allowed()}; default " \
                        f"{getattr(defaults, name)}."
            if setting.choices:
                values[name] = where.selectbox(label, setting.choices, key=_key(name), help=help_text)
            else:
                values[name] = where.number_input(
                    label, min_value=setting.kind(setting.low), max_value=setting.kind(setting.high),
                    step=setting.kind(step), format=fmt, key=_key(name), help=help_text)
        clicked = st.button("Train", type="primary", width="stretch", icon=":material/play_arrow:")
        st.button("Handwriting preset", width="stretch", icon=":material/draw:", on_click=use_preset,
                  help="Settings that read digits people draw or upload far better: "
                       f"{nncore.handwriting_config().name} (a few seconds to train). Fills in the settings; "
                       "press Train to train them.")
    clicked = clicked or st.session_state.pop("train_requested", False)
    return nncore.TrainConfig(**values), clicked


def use_preset(train=False):
    """Button callback: put ``nncore.handwriting_config()`` into the settings (and train it)."""
    preset = nncore.handwriting_config()
    for name in WIDGETS:
        st.session_state[_key(name)] = getattr(preset, name)
    if train:
        st.session_state["train_requested"] = True


def run_selector():
    """The selected-run box (drawn after any training, so a new run can be selected at once)."""
    pending = runs.take_pending_selection()
    names = [run.name for run in reversed(runs.all_runs())]
    if pending in names:
        st.session_state["selected_run"] = pending
    if not names:
        st.sidebar.caption("No runs yet: press **Train**.")
        return
    if st.session_state.get("selected_run") not in names:
        st.session_state["selected_run"] = names[0]
    st.sidebar.selectbox("Selected run", names, key="selected_run",
                         help="The run the pages show. Newest first; each run is named by its settings.")


def write_url(settings):
    """Put the settings and the session's runs into the URL, when they changed."""
    params = links.to_params(settings, [run.config for run in runs.all_runs()])
    current = st.query_params.to_dict() | {"run": st.query_params.get_all("run")}
    if current != params:
        st.query_params.from_dict(params)
