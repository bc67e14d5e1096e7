"""requirements.in (loose bounds, what we mean) and requirements.txt (every package pinned with ==,
what Streamlit Community Cloud installs, compiled from it with the command in the README) must agree."""

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
COMPILE = "uv pip compile requirements.in --python-version 3.12 -o requirements.txt"


def requirements(text):
    """{canonical name: Requirement} of a requirements file's text (comments and blank lines skipped)."""
    found = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def disagreements(source, pinned):
    """What keeps ``pinned`` (requirements.txt's text) from being a compilation of ``source``
    (requirements.in's), one sentence each."""
    wanted, pins = requirements(source), requirements(pinned)
    problems = [f"{name} is not pinned with ==: {pin}" for name, pin in pins.items()
                if len(pin.specifier) != 1 or next(iter(pin.specifier)).operator != "=="]
    for name, requirement in wanted.items():
        if name not in pins:
            problems.append(f"{name} is in requirements.in but not in requirements.txt")
        elif pins[name].specifier and not requirement.specifier.contains(next(iter(pins[name].specifier)).version,
                                                                           prereleases=True):
            problems.append(f"requirements.txt pins {pins[name]}, outside requirements.in's {requirement}")
    return problems


def test_the_pinned_file_pins_every_package_within_the_loose_bounds():
    assert disagreements((ROOT / "requirements.in").read_text(), (ROOT / "requirements.txt").read_text()) == []


def test_the_pinned_file_says_the_command_that_compiled_it_and_the_readme_gives_it():
    assert COMPILE in (ROOT / "requirements.txt").read_text()
    assert COMPILE in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("source, pinned, problem", [
    ("numpy>=2.0\n", "numpy==1.26.4\n", "outside requirements.in's numpy>=2.0"),
    ("numpy>=2.0\nplotly>=6\n", "numpy==2.4.6\n", "plotly is in requirements.in but not in requirements.txt"),
    ("numpy>=2.0\n", "numpy>=2.4\n", "numpy is not pinned with =="),
    ("numpy>=2.0\n", "numpy==2.4.6\nscipy\n", "scipy is not pinned with =="),
])
def test_a_disagreement_is_found(source, pinned, problem):
    assert any(problem in p for p in disagreements(source, pinned))


def test_an_agreeing_pair_has_no_disagreement():
    assert disagreements("numpy>=2.0  # a comment\nscikit-learn>=1.5\n",
                         "numpy==2.0.0\n    # via scikit-learn\nscikit-learn==1.9.1\nscipy==1.17.1\n") == []
