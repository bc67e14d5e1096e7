"""The README's set-up commands are the ones CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fenced_commands(section):
    text = (ROOT / "README.md").read_text()
    body = text.split(f"## {section}", 1)[1]
    return body.split("```bash", 1)[1].split("```", 1)[0].strip()


def test_ci_runs_the_readme_test_command():
    command = fenced_commands("Run the tests")
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines


def test_readme_app_command_starts_the_entry_script():
    assert fenced_commands("Start the app").endswith("streamlit run streamlit_app.py")
