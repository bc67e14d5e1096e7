"""How a click interrupts work in progress. Streamlit stops a running script by raising one of two
exceptions inside it at its next call into Streamlit: a rerun (a click on any widget) or a stop.
Training and sweeps catch them in their progress callbacks, finish what is running, keep it, and
raise them again so that the click's rerun happens.

The two classes live in a private module of Streamlit; this is the one place that names it
(tests/app/test_interruption.py fails, saying so, if a Streamlit release moves them).
"""

try:
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException
except ImportError as exc:  # pragma: no cover - only on a Streamlit release that moved them
    raise ImportError("this Streamlit release moved RerunException and StopException out of "
                      "streamlit.runtime.scriptrunner_utils.exceptions: install the version pinned in "
                      "requirements.txt, or update app/server/interruption.py") from exc

INTERRUPTIONS = (RerunException, StopException)
