"""Executing an exported notebook as a learner would: a fresh Jupyter kernel, in a folder of its
own, where nncore cannot be imported (so the notebook must carry all it needs). Shared by the
notebook's unit tests and the browser test of the app's download button."""

import os
import re

import nbformat
from nbclient import NotebookClient

NO_NNCORE = ("import importlib.util\n"
             "assert importlib.util.find_spec('nncore') is None, 'nncore is importable in this kernel'")
EXACTLY = re.compile(r"best epoch (\d+) of \d+, test accuracy [\d.]+ \(exactly ([^)]+)\)")


def execute(notebook, folder, timeout=900):
    """Run every cell of ``notebook`` (an nbformat notebook, changed in place) in a new python3
    kernel started in ``folder`` with PYTHONPATH cleared, after a first cell asserting that nncore
    is not importable there. Raises nbclient's CellExecutionError at the first failing cell
    (its outputs are kept in ``notebook``)."""
    notebook.cells.insert(0, nbformat.v4.new_code_cell(NO_NNCORE))
    saved = os.environ.pop("PYTHONPATH", None)
    try:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        if saved is not None:
            os.environ["PYTHONPATH"] = saved
    return notebook


def text(notebook):
    """Everything the executed notebook's cells printed (and the errors they raised), in order."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text") or output.get("data", {}).get("text/plain", "")
                         or f"{output.get('ename', '')}: {output.get('evalue', '')}")
    return "\n".join(parts)


def ending(notebook):
    """(best epoch, test accuracy) the executed notebook's last cell printed."""
    printed = "".join(output.get("text", "") for output in notebook.cells[-1].get("outputs", []))
    match = EXACTLY.search(printed)
    assert match, f"the last cell did not print the run's ending: {printed!r}"
    return int(match[1]), float(match[2])
