"""app.server.interruption: the exceptions Streamlit raises to interrupt a script are the ones
training and sweeps catch (they live in a private Streamlit module that a release may move)."""

from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from app.server.interruption import INTERRUPTIONS

    caught = st.session_state.setdefault("caught", [])
    st.write("caught: " + ", ".join(caught))
    try:
        if not caught:
            st.rerun()
        elif len(caught) == 1:
            st.stop()
    except INTERRUPTIONS as interruption:
        caught.append(type(interruption).__name__)
        raise


def test_a_rerun_and_a_stop_are_the_exceptions_we_catch():
    app = AppTest.from_function(_script).run()
    assert not app.exception and app.markdown[0].value == "caught: RerunException"
    app.run()
    assert not app.exception and app.session_state["caught"] == ["RerunException", "StopException"]
