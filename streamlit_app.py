"""Digits Playground: train a NumPy neural network on 8×8 digits, watch it learn, compare runs,
and feed it your own digits. Entry point: `streamlit run streamlit_app.py`."""

import streamlit as st

from app.server import settings as server_settings
from app.server import trainer
from app.widgets import link_notes, narrow, sidebar
from app.widgets.text import plain
from nncore.errors import shorten

st.set_page_config(page_title="Digits Playground", page_icon=":material/neurology:", layout="wide")

PAGES = {
    "Learn": [
        st.Page("app_pages/start.py", title="Start here", icon=":material/school:", default=True),  # at /
    ],
    "Train": [
        st.Page("app_pages/home.py", title="Train & overview", icon=":material/model_training:", url_path="train"),
        st.Page("app_pages/curves.py", title="Curves & confusion", icon=":material/monitoring:", url_path="curves"),
        st.Page("app_pages/probe.py", title="Probe a digit", icon=":material/draw:", url_path="probe"),
    ],
    "Look inside": [
        st.Page("app_pages/units.py", title="Hidden units", icon=":material/grid_view:", url_path="units"),
        st.Page("app_pages/replay.py", title="Watch it learn", icon=":material/replay:", url_path="replay"),
        st.Page("app_pages/digit_path.py", title="One digit, step by step", icon=":material/route:", url_path="digit"),
        st.Page("app_pages/how_it_works.py", title="How it learns", icon=":material/function:", url_path="how"),
        st.Page("app_pages/classes.py", title="Where the classes live", icon=":material/scatter_plot:",
                url_path="classes"),
    ],
    "Compare": [
        st.Page("app_pages/compare.py", title="Compare runs", icon=":material/compare_arrows:", url_path="compare"),
        st.Page("app_pages/sweep.py", title="Sweep settings", icon=":material/view_module:", url_path="sweep"),
    ],
}
# The pages live in app_pages/, not pages/: a folder named pages/ beside the entry script switches
# Streamlit to its older folder-based navigation as well, which answers a page's URL opened directly
# with a "Page not found" dialog (and makes AppTest skip this script on reruns).
page = st.navigation(PAGES)
narrow.fit()  # a phone: the sidebar closes after navigation, the chart toolbar sits above the chart

shown_run = st.sidebar.container()  # first in the sidebar, filled once this run's trainings are done
notes = sidebar.restore_from_url()
link_notes.keep(notes)
for note in notes:
    st.toast(f"Link: {plain(shorten(note, 200))}", icon=":material/info:")
link_notes.show()  # and kept at the top of the page, where the learner looks, until dismissed
for problem in server_settings.problems_markdown():  # for the teacher: a DIGITS_* value the server could not read
    st.sidebar.warning(f"Server setting: {problem}", icon=":material/settings_alert:")
settings = sidebar.settings_controls()
sidebar.teacher_link(settings)
trainer.train_requested(st.empty())
sidebar.run_selector(shown_run)
sidebar.write_url(settings)
page.run()
