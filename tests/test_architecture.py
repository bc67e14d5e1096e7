"""The house's layout: the learner's network alone at the top of nncore, the rest in subpackages
named for what they are, arrows only downward, and the old module names still importable."""

import ast
import importlib
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
NETWORK = {"__init__", "functions", "model", "optim", "data", "config", "training", "health", "result", "errors"}
SUBPACKAGES = {"imaging", "files", "lab"}


def _imports(path):
    """Every module name a Python file imports (absolute, as written)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_top_of_nncore_holds_only_the_network():
    top = {p.stem for p in (ROOT / "nncore").glob("*.py")}
    folders = {p.name for p in (ROOT / "nncore").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert top == NETWORK
    assert folders == SUBPACKAGES


def test_the_network_does_not_reach_into_the_lab():
    """The learner's modules import nothing from lab/ or files/ (the image path feeds augmentation)."""
    for name in NETWORK - {"__init__"}:
        modules = _imports(ROOT / "nncore" / f"{name}.py")
        text = (ROOT / "nncore" / f"{name}.py").read_text()
        assert not any(m.startswith(("nncore.lab", "nncore.files")) for m in modules), name
        assert "from .lab" not in text and "from .files" not in text, name


def test_nothing_in_nncore_imports_streamlit_plotly_or_the_app():
    for path in (ROOT / "nncore").rglob("*.py"):
        modules = _imports(path)
        assert not any(m.split(".")[0] in {"streamlit", "plotly", "app", "pandas"} for m in modules), path


def test_figure_builders_and_chart_data_never_import_streamlit():
    for folder in ("figures", "analysis"):
        for path in (ROOT / "app" / folder).glob("*.py"):
            assert not any(m.split(".")[0] == "streamlit" for m in _imports(path)), path


def test_the_app_folders_are_named_for_their_roles():
    folders = {p.name for p in (ROOT / "app").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert {"state", "server", "analysis", "figures", "widgets"} <= folders
    assert not list((ROOT / "app").glob("inside_*.py"))


def test_an_old_module_name_is_the_module_at_its_new_place():
    import nncore

    for old, new in nncore.MOVED.items():
        assert importlib.import_module(f"nncore.{old}") is importlib.import_module(f"nncore.{new}"), old
    from nncore.lab.pools import workers
    from nncore.lab.pools import workers as same
    assert workers is same


def test_a_module_imported_first_by_its_old_name_keeps_its_own_spec():
    """Its relative imports resolve from its own package, without a DeprecationWarning."""
    code = ("import warnings; warnings.simplefilter('error')\nimport nncore.inspect as old\n"
            "print(old.__spec__.name, old.__package__)\nimport nncore\n"
            "old.blank_pixels(nncore.TrainConfig(epochs=1))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout == "nncore.lab.inside nncore.lab\n", done.stderr


def test_an_unknown_name_is_still_an_import_error():
    code = "import nncore\ntry:\n    import nncore.nothing_here\nexcept ImportError:\n    print('refused')\n"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).stdout == "refused\n"


def test_the_page_helpers_import_neither_scikit_learn_nor_nbformat():
    """Every page imports them; scikit-learn (2 s) and nbformat are imported by the pages that
    project digits or the click that builds a notebook, not by How it learns' first render."""
    code = ("import sys\nimport app.widgets.controls, app.widgets.notebook, app.analysis.inside, app.analysis.digit\n"
            "print(sorted(name for name in ('sklearn', 'nbformat') if name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout == "[]\n", done.stderr


def _top_imports(path):
    """The modules a Python file imports at its top level (not inside a function), in order."""
    found = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def test_the_first_page_does_not_load_pandas():
    """Start here draws no chart and no table until a lesson has run: what it and the entry script
    import leaves pandas (0.3 s) to the pages that show one (charts are imported where drawn)."""
    statements = []
    for script in (ROOT / "streamlit_app.py", ROOT / "app_pages" / "start.py"):
        source = script.read_text()
        statements += [ast.get_source_segment(source, node) for node in ast.parse(source).body
                       if isinstance(node, ast.Import | ast.ImportFrom)]
    assert "from app.widgets import sidebar" in statements
    code = "\n".join(["import sys", *statements, "print('pandas' in sys.modules)"])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout == "False\n", done.stderr


def test_every_module_that_imports_plotly_imports_pandas_first():
    """app/figures/__init__.py: Plotly looks pandas up without importing it, and finds a half-made
    module while another session imports it; importing pandas first waits for that import."""
    plotting = []
    for path in sorted([*(ROOT / "app").rglob("*.py"), *(ROOT / "app_pages").glob("*.py"), ROOT / "streamlit_app.py"]):
        names = [name.split(".")[0] for name in _top_imports(path)]
        if "plotly" in names:
            plotting.append(path.relative_to(ROOT).as_posix())
            assert "pandas" in names[:names.index("plotly")], path
        assert not any(name.startswith("plotly") for name in _imports(path) - set(_top_imports(path))), path
    assert plotting == ["app/figures/inside.py", "app/figures/run.py", "app/figures/sweep.py"]
