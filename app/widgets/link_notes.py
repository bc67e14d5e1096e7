"""What a link could not bring back, kept at the top of every page until the learner dismisses it.

A toast alone vanished after a few seconds, often while the link's runs were still being restored,
and on a desktop screen far from where the learner looks."""

import streamlit as st

KEY = "link_notes"


def keep(notes):
    """Keep a link's notes (what it got wrong or could not bring back) for ``show``."""
    if notes:
        st.session_state[KEY] = list(notes)


def _dismiss():
    st.session_state.pop(KEY, None)


def show():
    """Draw the kept notes in a box at the top of the page, each as plain text (a URL's words are
    never read as markdown), with a button that dismisses them."""
    notes = st.session_state.get(KEY)
    if not notes:
        return
    with st.container(border=True, key="link_notes_box"):
        cells = st.columns([6, 1], vertical_alignment="top")
        cells[0].markdown(":orange[:material/link_off:] **This link could not bring back everything:**")
        for note in notes:
            cells[0].text(f"• {note}")
        cells[1].button("Dismiss", icon=":material/close:", key="dismiss_link_notes", on_click=_dismiss)
