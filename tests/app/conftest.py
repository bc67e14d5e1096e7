"""AppTest fixtures: the app driven headless, with the shared training cache cleared per test."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = {"overview": "app_pages/home.py", "curves": "app_pages/curves.py", "compare": "app_pages/compare.py",
         "probe": "app_pages/probe.py", "units": "app_pages/units.py", "replay": "app_pages/replay.py",
         "digit": "app_pages/digit_path.py", "how": "app_pages/how_it_works.py", "classes": "app_pages/classes.py",
         "sweep": "app_pages/sweep.py"}


def fresh_app(page=None):
    """A fresh session of the app on ``page`` (a page's file; None: the first page, "Start here"),
    run once (nothing trained), with the shared training cache cleared."""
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300).run()
    return at.switch_page(page).run() if page else at


@pytest.fixture
def app():
    """A fresh session of the app on Train & overview, run once (nothing trained)."""
    return fresh_app(PAGES["overview"])


@pytest.fixture
def trained(app):
    """A session that pressed Train once with the default settings."""
    return train(app)


def train(at, **settings):
    """Set sidebar settings (by setting name) and press Train."""
    for name, value in settings.items():
        key = f"setting_{name}"
        widget = at.selectbox(key=key) if isinstance(value, str) else at.number_input(key=key)
        widget.set_value(value)
    next(b for b in at.sidebar.button if b.label == "Train").click()
    return at.run()


def errors(at):
    return [e.value for e in at.error]


def session_runs(at):
    return at.session_state["session_runs"].runs if "session_runs" in at.session_state else []
