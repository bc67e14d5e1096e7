"""The teacher's lock that no URL lifts: the server setting DIGITS_LOCK (an environment variable,
or a secret: app.server.settings reads it as it reads every DIGITS_* setting).

A link's ``lock`` is guidance: anyone can edit a URL. DIGITS_LOCK is a security boundary: it is
read on the server, every setting it names is fixed for every session (the sidebar's box shows
the value and cannot change it), and every run the app would start with another value is refused
(Train, a link's runs, a preset, a sweep). The value is a comma-separated list of settings, each
``name=value`` (fixed at that value) or ``name`` (fixed at its default):
``DIGITS_LOCK="hidden=64, lr"`` fixes 64 hidden units and the default learning rate.

``read`` is the reader of the text (pure: text in, settings out, ValueError saying what is
wrong); ``server_lock`` reads the server's setting. A part that cannot be read is not ignored in
silence: the other parts still hold, and ``server_lock`` returns a sentence for each.
"""

import logging
import re
from functools import lru_cache

from app.server import settings as server_settings
from nncore import BOUNDS, ConfigError, TrainConfig
from nncore.config import check_setting
from nncore.errors import shorten

VARIABLE = "DIGITS_LOCK"
NUMBER = re.compile(r"[-+]?([0-9]{1,9}(\.[0-9]{0,12})?|\.[0-9]{1,12})([eE][-+]?[0-9]{1,3})?")

log = logging.getLogger("digits.server")


def _value(name, text):
    """The value of setting ``name`` written as ``text``; raises ValueError saying what is allowed."""
    setting = BOUNDS[name]
    if not setting.choices:
        if not NUMBER.fullmatch(text):
            raise ValueError(f"{name}={shorten(text, 40)} is not a number ({name} may be {setting.allowed()})")
        text = float(text)
    try:
        return check_setting(name, text)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


def read(text):
    """(settings, problems) of a DIGITS_LOCK value: settings maps each name to its fixed value
    (``name`` alone, or a value that is not allowed: its default); problems says, per part that
    could not be read, why."""
    defaults, settings, problems = TrainConfig(), {}, []
    for part in str(text).split(","):
        name, sep, value = (piece.strip() for piece in part.partition("="))
        if not name and not sep:
            continue
        if name not in BOUNDS:
            problems.append(f"{shorten(part.strip(), 40)!r} names no setting (settings: {', '.join(BOUNDS)})")
            continue
        try:
            settings[name] = _value(name, value) if sep else getattr(defaults, name)
        except ValueError as exc:  # the teacher meant to fix it: fixed at its default rather than left free
            settings[name] = getattr(defaults, name)
            problems.append(f"{exc}; fixed at its default, {settings[name]}")
    return settings, problems


@lru_cache(maxsize=8)
def _read_once(text):
    settings, problems = read(text)
    for problem in problems:
        log.warning("%s: %s", VARIABLE, problem)
    return settings, tuple(problems)


def server_lock():
    """(settings, problems) of this server's DIGITS_LOCK ({} and () without one); each problem
    is logged once."""
    settings, problems = _read_once(server_settings.value(VARIABLE) or "")
    return dict(settings), list(problems)


def breaks(config, settings):
    """The names of the locked ``settings`` (name -> value) whose value ``config`` does not have."""
    return [name for name, value in settings.items() if getattr(config, name) != value]


def words(settings):
    """'hidden=64, lr=0.1': the fixed values, for a sentence."""
    return ", ".join(f"{name}={value}" for name, value in settings.items())
