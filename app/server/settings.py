"""The server's settings: every ``DIGITS_*`` value, read in one place, checked, with a safe default.

A setting is read from the environment first, else from Streamlit's secrets (``st.secrets``,
where TOML booleans and numbers are accepted as well as strings: Community Cloud turns only
root-level strings and numbers into environment variables, so ``DIGITS_SHARED = true`` reaches
the app only through here). A value that cannot be read is not ignored in silence: the server's
log says it once, ``problems()`` says it to the teacher on the sidebar, and the safe default holds.

Adding a setting is one entry in SETTINGS: its name, its reader (text or a TOML value -> the
value, or ValueError saying what it should be), its default (a value, or a function of the
Machine) and a line of help (the README's table says the same).
"""

import logging
import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache

import streamlit as st

from app.server import machine
from nncore.errors import shorten

log = logging.getLogger("digits.server")


def whole_number(value):
    """A whole number of 1 or more: an int, or its digits as text ('2'; not '1.5', 'abc' or '')."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("a whole number of 1 or more")
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,6}", text) or int(text) < 1:
        raise ValueError("a whole number of 1 or more")
    return int(text)


def seconds(value):
    """A finite number of seconds above 0: a number, or one as text ('60', '2.5'; not 'nan' or 'inf')."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("a number of seconds above 0")
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,9}(\.[0-9]*)?|\.[0-9]+|[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]{1,3}", text):
        raise ValueError("a number of seconds above 0")
    number = float(text)
    if not math.isfinite(number) or number <= 0:
        raise ValueError("a number of seconds above 0")
    return number


SWITCH = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def switch(value):
    """On or off: a TOML boolean, 1 or 0, or one of the words in SWITCH (any case)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (int, str)) else None
    if text not in SWITCH:
        raise ValueError("on or off (1/0, true/false, yes/no, on/off)")
    return SWITCH[text]


def address(value):
    """A Dask scheduler's address as text ('tcp://host:8786'); empty text is none."""
    if not isinstance(value, str):
        raise ValueError("an address as text, such as \"tcp://host:8786\"")
    return value.strip() or None


def text(value):
    """Text as it is (app.server.lock reads DIGITS_LOCK's parts and says what it cannot read)."""
    if not isinstance(value, str):
        raise ValueError("text, such as \"hidden=64, lr\"")
    return value


@dataclass(frozen=True)
class Setting:
    """One DIGITS_* setting: ``read`` turns the value found into the setting's value (ValueError:
    it says what the value should be); ``default`` is the value without one (or after a bad one),
    or a function of the server's machine.Machine; ``secret``: an older secret name also read."""

    name: str
    read: callable
    default: object
    help: str
    secret: str = None


SETTINGS = {setting.name: setting for setting in (
    Setting("DIGITS_TRAINING_BUDGET", seconds, 60.0, "estimated seconds a run may take without asking"),
    Setting("DIGITS_SHARED", switch, False,
            "on: refuse runs over the budget instead of asking (a shared deployment); a value that is neither "
            "on nor off counts as on, the safer reading for a class"),
    Setting("DIGITS_TRAINING_SLOTS", whole_number, lambda box: box.cpus, "trainings at once"),
    Setting("DIGITS_SWEEP_JOBS", whole_number, lambda box: box.sweep_processes or box.cpus,
            "runs a local sweep trains at once"),
    Setting("DIGITS_DASK_SCHEDULER", address, None, "the Dask scheduler sweeps run on", secret="dask_scheduler"),
    Setting("DIGITS_LOCK", text, "", "settings fixed for every session, which no link lifts (app.server.lock)"),
)}
SAFER = {"DIGITS_SHARED": True}  # after a bad value, where the default is not the safe reading


def _secrets():
    """The secrets as a dict ({} without a secrets file); a file that cannot be read is a problem."""
    try:
        return dict(st.secrets.to_dict()), None
    except FileNotFoundError as exc:  # StreamlitSecretNotFoundError: no file (fine), or one that does not parse
        return {}, None if "No secrets found" in str(exc) else f"the secrets file cannot be read: {shorten(exc)}"


def _found(setting, environ, secrets):
    """(where, value) of the first value found for ``setting``, or (None, None)."""
    if setting.name in environ:
        return "environment variable", environ[setting.name]
    for name in (setting.name, setting.secret):
        if name and name in secrets:
            return "secret", secrets[name]
    return None, None


@lru_cache(maxsize=16)
def _resolve(environ, secrets, secrets_problem):
    """(values, problems) for these raw values, each problem logged once (cached on the raw values,
    so a server reads and says each value once, and a changed secret is read anew)."""
    environ, secrets = dict(environ), dict(secrets)
    box, values, problems = machine.current(), {}, [(secrets_problem, "")] if secrets_problem else []
    for setting in SETTINGS.values():
        default = setting.default(box) if callable(setting.default) else setting.default
        where, value = _found(setting, environ, secrets)
        try:
            values[setting.name] = default if where is None else setting.read(value)
        except ValueError as should:
            values[setting.name] = SAFER.get(setting.name, default)
            found = shorten(repr(value), 60)
            problems.append((f"the {where} {setting.name} is {found}, which is not {should}: "
                             f"using {'none' if values[setting.name] in (None, '') else repr(values[setting.name])} "
                             "instead", found))
    for problem, _ in problems:
        log.warning("Digits Playground setting: %s", problem)
    return values, tuple(problems)


def _current():
    """(values, problems) of the settings as they are now (the environment and secrets are read at
    each call, which is cheap; the checking and the log line happen once per value)."""
    secrets, problem = _secrets()
    environ = tuple((name, os.environ[name]) for name in SETTINGS if name in os.environ)
    wanted = {name for setting in SETTINGS.values() for name in (setting.name, setting.secret) if name}
    # a TOML table or list is no setting's value; kept as a (hashable) tuple that every reader refuses
    found = tuple((name, value if isinstance(value, (str, int, float, bool)) else (f"a TOML {type(value).__name__}",))
                  for name, value in secrets.items() if name in wanted)
    return _resolve(environ, found, problem)


def plain(text):
    """``text`` (our own words) for st.markdown and its kin, shown as the characters it is: every
    markdown, HTML and LaTeX sign escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])", r"\\\1", text)


def code(text):
    """``text`` from outside as a markdown code span: shown as it is (no link, no image, no HTML, no
    LaTeX), fenced by more backticks than it holds in a row."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def value(name):
    """The value of the setting ``name`` (a key of SETTINGS)."""
    return _current()[0][name]


def problems():
    """What was wrong with the settings found, one sentence each (empty when nothing was)."""
    return [problem for problem, _ in _current()[1]]


def problems_markdown():
    """``problems()`` for st.markdown: our words escaped, each value found in a code span."""
    shown = []
    for problem, found in _current()[1]:
        head, _, tail = problem.partition(found) if found else (problem, "", "")
        shown.append(plain(head) + (code(found) if found else "") + plain(tail))
    return shown
