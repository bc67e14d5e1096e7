"""Digits Playground: train a NumPy neural network on 8×8 digits, watch it learn, compare runs,
and feed it your own digits. Entry point: `streamlit run streamlit_app.py`."""

import streamlit as st

from app import runs, sidebar, trainer

st.set_page_config(page_title="Digits Playground", page_icon=":material/neurology:", layout="wide")

PAGES = [
    st.Page("app_pages/home.py", title="Train & overview", icon=":material/model_training:", default=True),  # at /
    st.Page("app_pages/curves.py", title="Curves & confusion", icon=":material/monitoring:", url_path="curves"),
    st.Page("app_pages/compare.py", title="Compare runs", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("app_pages/probe.py", title="Probe a digit", icon=":material/draw:", url_path="probe"),
    st.Page("app_pages/sweep.py", title="Sweep settings", icon=":material/grid_view:", url_path="sweep"),
]
# The pages live in app_pages/, not pages/: a folder named pages/ beside the entry script switches
# Streamlit to its older folder-based navigation as well, which answers a page's URL opened directly
# with a "Page not found" dialog (and makes AppTest skip this script on reruns).
page = st.navigation(PAGES)

runs.wait_for_training()  # a click during training: let the interrupted run store its result first
session = runs.current()  # kept at hand: after an interruption even reading session state raises
to_restore, notes = sidebar.restore_from_url()
settings, train_clicked = sidebar.settings_controls()
live_area = st.empty()
for note in notes:
    st.toast(f"Link: {note}", icon=":material/info:")

interruption = None
with runs.training(session):
    for position, config in enumerate(to_restore, 1):
        label = f"Restoring run {position}/{len(to_restore)} from the link"
        result, interruption = trainer.train(config, live_area, label)
        runs.add(result, "link", session)
        if interruption:
            break
    if train_clicked and interruption is None:
        result, interruption = trainer.train(settings, live_area)
        run, notice = runs.add(result, "trained", session)
        if notice and interruption is None:
            st.toast(notice, icon=":material/delete:")
if interruption is not None:
    raise interruption  # the click that stopped training: let Streamlit rerun with it

sidebar.run_selector()
sidebar.write_url(settings)
page.run()
