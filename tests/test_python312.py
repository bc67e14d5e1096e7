"""The non-browser tests on Python 3.12 (Streamlit Community Cloud's default) as well as on the Python
running this suite: in a fresh venv of pyenv's 3.12 with requirements-dev.txt (so the pinned
requirements.txt), when this machine has one; skipped, saying so, when it has none. CI runs it
through the README's test command."""

import subprocess
import sys

import pytest

from support import pythons

PYTHON = pythons.interpreter("3.12")


@pytest.mark.slow
@pytest.mark.skipif(sys.version_info[:2] == (3, 12), reason="this run is the Python 3.12 run")
@pytest.mark.skipif(PYTHON is None, reason=f"no Python 3.12 on this machine ({pythons.PYENV}/3.12.*/bin/python): "
                                           "the tests ran on this Python only")
def test_the_non_browser_tests_pass_on_python_3_12(tmp_path):
    with open(tmp_path / "install.log", "w") as log:
        python = pythons.venv(PYTHON, tmp_path / "venv", ["requirements-dev.txt"], log)
    run = subprocess.run([str(python), "-m", "pytest", "-m", "not browser", "-q", "-x", "-p", "no:cacheprovider"],
                         cwd=pythons.ROOT, capture_output=True, text=True, timeout=3600)
    assert run.returncode == 0, f"Python {pythons.version(python)}:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
