"""Other Python versions on this machine, and a fresh virtual environment of one with the project's
requirements installed, as Streamlit Community Cloud would install them: shared by the test that
runs the non-browser tests on Python 3.12 (tests/test_python312.py) and by scripts/check_python.py.
"""

import glob
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYENV = Path.home() / ".pyenv" / "versions"


def interpreter(version="3.12"):
    """The newest pyenv interpreter of ``version`` on this machine (~/.pyenv/versions/3.12.*/bin/python),
    or None."""
    found = glob.glob(str(PYENV / f"{version}.*" / "bin" / "python"))
    return Path(max(found, key=lambda p: [int(n) for n in Path(p).parents[1].name.split(".") if n.isdigit()])) \
        if found else None


def venv(python, folder, requirements, log):
    """A fresh virtual environment of ``python`` at ``folder`` (made anew) with each file of
    ``requirements`` installed (uv when it is there, as Cloud does; else pip); the commands' output
    goes to the open file ``log``. Returns the venv's python. Raises CalledProcessError on failure."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    subprocess.run([str(python), "-m", "venv", str(folder)], check=True, stdout=log, stderr=subprocess.STDOUT)
    python = folder / "bin" / "python"
    files = [arg for path in requirements for arg in ("-r", str(ROOT / path))]
    uv = shutil.which("uv")
    command = [uv, "pip", "install", "--python", str(python), *files] if uv else \
        [str(python), "-m", "pip", "install", "-q", *files]
    subprocess.run(command, check=True, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                   env={**os.environ, "VIRTUAL_ENV": str(folder)})
    return python


def version(python):
    """'3.12.1' for an interpreter."""
    return subprocess.run([str(python), "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True, check=True).stdout.strip()
