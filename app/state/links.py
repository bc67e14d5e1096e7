"""The URL's query parameters <-> the sidebar settings and the session's runs (pure functions).

A link carries the sidebar settings as one parameter per setting (``?hidden=128&lr=0.05``) and
each run as a ``run`` parameter listing its non-default settings (``run=hidden:128,lr:0.05``;
``run=default`` for the default config), with its status when it is not a finished training:
``stopped:37`` (stopped after epoch 37), ``uploaded:1`` (its weights came from a file), and its
colour on every chart (``color:3``, a place in the palette), so a reload draws it as before. It also
carries which run is shown (``selected``, a position in the list), the runs overlaid on Compare
(``overlay``), a teacher's locked or hidden settings (``lock``, ``hide``), and the learner's
lessons on "Start here": the lesson open (``lesson=lr``) and the guesses given
(``guesses=unit:2,lr:1``, a lesson's key and the position of the answer chosen), and the grid of
the session's last sweep: each swept setting with its values (``sweep=hidden:16/64,lr:0.01/0.1``)
and its fixed settings (``sweep_base``, a run's settings text), never its scores. Anyone can type a
URL, so reading is lenient: values are clamped to their bounds or ignored, with a note saying so.
"""

import re
from dataclasses import dataclass, field, fields

from nncore import BOUNDS, ConfigError, TrainConfig
from nncore.errors import NNCoreError, shorten
from nncore.lab.lessons import BY_KEY as LESSONS
from nncore.lab.sweep import Axis, Sweep, parse_values

MAX_LINKED_RUNS = 12  # as many as a session holds (runs.MAX_RUNS): a reload brings every run back
MAX_READ_RUNS = 4 * MAX_LINKED_RUNS  # run parameters read at all: a link of thousands cost minutes to parse
MAX_NOTES = 10                       # each note is a toast: a link cannot flood the page with them
MAX_SWEEP_CELLS = 36                 # runs one sweep from the app may have (app.server.sweeps.MAX_CELLS)
MAX_SWEEP_TEXT = 1000                # characters of a sweep parameter read at all
STATUS_KEYS = ("stopped", "uploaded", "color")
GUESS = re.compile(r"([a-z_]{1,20}):([0-9]{1,2})")  # one lesson's guess: its key and the answer's position

WHOLE = re.compile(r"[0-9]{1,6}")    # a position or an epoch: ASCII digits only ('²', '①', '٣' are not numbers
                                     # here), and few of them (int() of 5,000 digits raises)


def whole_number(text):
    """The int ``text`` spells in at most 6 ASCII digits (spaces around allowed), else None."""
    text = str(text).strip()
    return int(text) if WHOLE.fullmatch(text) else None


def _text(value):
    """Exact, short text of a setting: 30, 0.1, 1e-05, tanh."""
    return value if isinstance(value, str) else repr(value)


def config_token(config):
    """A run's settings as URL text: its non-default settings, or 'default'."""
    defaults = TrainConfig()
    parts = [f"{f.name}:{_text(getattr(config, f.name))}" for f in fields(config)
             if getattr(config, f.name) != getattr(defaults, f.name)]
    return ",".join(parts) or "default"


NAME_HELP = ("A run's name lists its settings: h = hidden units, lr = learning rate, b = batch size, e = epochs, "
             "s = seed; then any other setting that differs from the defaults.")


def run_name(config, stop_at=None):
    """A run's name: its settings' short name, with the stop when there was one
    ('h64 lr0.1 b64 e500 s0 · stopped at 37/500'). As unique as its key."""
    return f"{config.name} · stopped at {stop_at}/{config.epochs}" if stop_at else config.name


def run_label(config, stop_at=None):
    """A run in words, for people: what differs from the defaults, with the stop when there was
    one ('learning rate 1, Adam · stopped at 12/30'). ``run_name`` is the short code."""
    return f"{config.describe()} · stopped at {stop_at}/{config.epochs}" if stop_at else config.describe()


def settings_text(config):
    """A run's settings in words: '64 hidden units · learning rate 0.1 · batches of 64 · 30 epochs · seed 0',
    then each other setting that differs from the defaults (momentum only for the momentum optimizer)."""
    defaults = TrainConfig()
    always = ("hidden", "lr", "batch", "epochs", "seed")
    others = [name for name in BOUNDS if name not in always and getattr(config, name) != getattr(defaults, name)
              and (name != "momentum" or config.optimizer == "momentum")]
    return " · ".join(BOUNDS[name].describe(getattr(config, name)) for name in always + tuple(others))


def run_key(config, stop_at=None):
    """A run's identity, the one key of the shared cache, the session's runs and a link: its
    settings' token, plus ',stopped:N' when it was stopped after epoch N."""
    token = config_token(config)
    return f"{token},stopped:{stop_at}" if stop_at else token


def result_key(result):
    """The key of a trained run (see ``run_key``)."""
    return run_key(result.config, result.epochs_run if result.stopped_early else None)


@dataclass(frozen=True)
class LinkedRun:
    """A run named by a link: its settings, where it was stopped (None: it finished), whether
    its weights came from an uploaded file (which a link cannot carry), and its colour (a place in
    the palette, 0 to MAX_LINKED_RUNS - 1; None: the first one free)."""

    config: TrainConfig
    stop_at: int = None
    uploaded: bool = False
    color: int = None

    @property
    def name(self):
        return run_name(self.config, self.stop_at)

    @property
    def key(self):
        """The key of the run it restores (see ``run_key``)."""
        return run_key(self.config, self.stop_at)

    @property
    def token(self):
        parts = [config_token(self.config)]
        if self.stop_at:
            parts.append(f"stopped:{self.stop_at}")
        if self.uploaded:
            parts.append("uploaded:1")
        if self.color is not None:
            parts.append(f"color:{self.color}")
        return ",".join(parts)


@dataclass
class Link:
    """What a URL says: settings, runs, the selected run and overlay (positions in ``runs``), the
    teacher's locked and hidden settings, and notes on what it got wrong."""

    settings: TrainConfig
    runs: list = field(default_factory=list)
    selected: int = None
    overlay: list = field(default_factory=list)
    lock: list = field(default_factory=list)
    hide: list = field(default_factory=list)
    lesson: str = None
    guesses: dict = field(default_factory=dict)
    sweep: Sweep = None
    notes: list = field(default_factory=list)


def _pairs(token):
    """{name: value} of a URL text of 'name:value' pairs ('default' names none), or None when a
    part is not a pair."""
    pairs = {}
    for part in str(token).split(","):
        if part == "default":
            continue
        name, sep, value = part.partition(":")
        if not sep:
            return None
        pairs[name.strip()] = value.strip()
    return pairs


def _config(values, what):
    """(TrainConfig of ``values`` clamped to their bounds, notes), or (None, notes) when a name is
    not a setting or the values do not go together; ``what`` starts each note ('ignored run …')."""
    unknown = set(values) - {f.name for f in fields(TrainConfig)}
    if unknown:
        return None, [f"{what}: unknown setting(s) {shorten(', '.join(sorted(unknown)))}"]
    try:
        return TrainConfig.clamped(values)
    except ConfigError as exc:  # clamped() only fails on a combination, never on one value
        return None, [f"{what}: {exc}"]


def linked_run_from_token(token):
    """Parse a run's URL text; returns (LinkedRun or None, notes)."""
    values = _pairs(token)
    if values is None:
        return None, [f"ignored run {shorten(repr(token))}: expected name:value pairs"]
    status = {name: values.pop(name) for name in STATUS_KEYS if name in values}
    config, notes = _config(values, f"ignored run {shorten(repr(token))}")
    if config is None:
        return None, notes
    stop_at = None
    if "stopped" in status:
        stop_at = whole_number(status["stopped"])
        if stop_at is None:
            notes.append(f"ignored stopped={shorten(status['stopped'])}: not a whole number")
        if stop_at is not None and not 1 <= stop_at < config.epochs:
            notes.append(f"ignored stopped={stop_at}: not between 1 and {config.epochs - 1}")
            stop_at = None
    color = None
    if "color" in status:
        if re.fullmatch(r"[0-9]{1,2}", status["color"]) and int(status["color"]) < MAX_LINKED_RUNS:
            color = int(status["color"])
        else:
            notes.append(f"ignored color={shorten(status['color'])}: not a whole number from 0 to "
                         f"{MAX_LINKED_RUNS - 1}")
    return LinkedRun(config, stop_at, status.get("uploaded") == "1", color), notes


def sweep_token(sweep):
    """A sweep's grid as URL text: each swept setting and its values ('hidden:16/64,lr:0.01/0.1')."""
    return ",".join(f"{axis.name}:{'/'.join(_text(value) for value in axis.values)}" for axis in sweep.axes)


def sweep_from_tokens(token, base_token, settings):
    """Read a sweep's grid from its URL text (``sweep_token``) and its fixed settings' (a run's
    settings text; None: the link's ``settings``). Returns (Sweep or None, notes): a grid of one or
    two settings, every value within its bounds and at most MAX_SWEEP_CELLS cells, or none at all
    (a grid with other values would name runs nobody made)."""
    what = f"ignored sweep {shorten(repr(token))}"
    if len(str(token)) > MAX_SWEEP_TEXT or len(str(base_token or "")) > MAX_SWEEP_TEXT:
        return None, [f"{what}: longer than {MAX_SWEEP_TEXT} characters"]
    axes = [part.partition(":") for part in str(token).split(",")]
    if any(not sep or ":" in values for _, sep, values in axes):
        return None, [f"{what}: expected setting:value/value/… for each setting swept"]
    if len(axes) > 2:
        return None, [f"{what}: the Sweep page sweeps one or two settings, not {len(axes)}"]
    base, notes = settings, []
    if base_token is not None:
        values = _pairs(base_token)
        base, notes = (None, [f"{what}: expected name:value pairs"]) if values is None else _config(values, what)
    if base is None or notes:  # a fixed setting out of its bounds: a grid of other runs
        return None, [note if note.startswith(what) else f"{what}: its fixed settings: {note}" for note in notes]
    try:
        sweep = Sweep(base, tuple(Axis(name.strip(), parse_values(name.strip(), values.replace("/", ",")))
                                  for name, _, values in axes))
    except NNCoreError as exc:
        return None, [f"{what}: {shorten(str(exc))}"]
    if sweep.cells > MAX_SWEEP_CELLS:
        return None, [f"{what}: {sweep.cells} runs is more than a sweep of the app may have ({MAX_SWEEP_CELLS})"]
    return sweep, []


def to_params(settings, linked_runs, selected=None, overlay=(), lock=(), hide=(), lesson=None, guesses=None,
              sweep=None):
    """Query parameters for the sidebar ``settings`` (a TrainConfig), the runs (LinkedRun), the
    selected run and overlay (positions in the list), the teacher's locked and hidden settings, the
    lesson open, the lessons' guesses ({lesson key: position of the answer}) and the grid of the
    session's last sweep (a Sweep)."""
    params = {f.name: _text(getattr(settings, f.name)) for f in fields(settings)}
    params["run"] = [run.token for run in linked_runs]
    if selected is not None:
        params["selected"] = str(selected)
    if overlay:
        params["overlay"] = ",".join(str(i) for i in overlay)
    if lock:
        params["lock"] = ",".join(lock)
    if hide:
        params["hide"] = ",".join(hide)
    if lesson:
        params["lesson"] = lesson
    if guesses:
        params["guesses"] = ",".join(f"{key}:{answer}" for key, answer in guesses.items())
    if sweep is not None:
        params["sweep"], params["sweep_base"] = sweep_token(sweep), config_token(sweep.base)
    return params


def _guesses(text, notes):
    """{lesson key: answer position} of a ``guesses`` parameter; what is not a lesson's answer is noted."""
    found = {}
    for part in str(text).split(","):
        match = GUESS.fullmatch(part.strip())
        lesson = match and LESSONS.get(match[1])
        if lesson and int(match[2]) < len(lesson.options):
            found[match[1]] = int(match[2])
        elif part.strip():
            notes.append(f"ignored guess {shorten(repr(part))}: not an answer of a lesson")
    return found


def _positions(text, count, what, notes):
    found = {}
    for part in str(text).split(","):
        position = whole_number(part)
        if position is not None and position < count:
            found[position] = True
        elif part.strip():
            notes.append(f"ignored {what} {shorten(repr(part))}: not a run of the link")
    return list(found)


def _bounded(notes):
    """At most MAX_NOTES notes, the last saying how many more there were."""
    if len(notes) <= MAX_NOTES:
        return notes
    return [*notes[:MAX_NOTES - 1], f"and {len(notes) - MAX_NOTES + 1} more things the link got wrong were ignored"]


def from_params(params):
    """Read a Link from query parameters (a mapping of str to str or list)."""
    def values(key):
        raw = params.get(key, [])
        return raw if isinstance(raw, list) else [raw]

    single = {f.name: values(f.name)[-1] for f in fields(TrainConfig) if values(f.name)}
    settings, notes = TrainConfig.clamped(single)
    tokens, runs, seen = values("run"), [], set()
    listed = len(tokens)
    for token in tokens[-MAX_READ_RUNS:]:  # the last ones are the ones restored: the others are not read
        linked, run_notes = linked_run_from_token(token)
        notes += run_notes
        if linked is not None and linked.token not in seen:
            seen.add(linked.token)
            runs.append(linked)
    if len(runs) > MAX_LINKED_RUNS or listed > MAX_READ_RUNS:
        notes.append(f"the link lists {max(listed, len(runs))} runs; only the last {MAX_LINKED_RUNS} are restored")
        runs = runs[-MAX_LINKED_RUNS:]
    link = Link(settings, runs, notes=notes)
    selected = _positions(values("selected")[-1], len(runs), "selected run", notes) if values("selected") else []
    link.selected = selected[0] if selected else None
    link.overlay = _positions(values("overlay")[-1], len(runs), "overlay run", notes) if values("overlay") else []
    for kind in ("lock", "hide"):
        names = [n for n in ",".join(values(kind)).split(",") if n]
        unknown = [n for n in names if n not in BOUNDS]
        if unknown:
            notes.append(f"ignored {kind} {shorten(', '.join(unknown))}: not a setting")
        setattr(link, kind, list(dict.fromkeys(n for n in names if n in BOUNDS)))
    if values("lesson"):
        lesson = str(values("lesson")[-1])
        if lesson in LESSONS:
            link.lesson = lesson
        else:
            notes.append(f"ignored lesson {shorten(repr(lesson))}: not a lesson")
    link.guesses = _guesses(values("guesses")[-1], notes) if values("guesses") else {}
    if values("sweep"):
        base = values("sweep_base")[-1] if values("sweep_base") else None
        link.sweep, sweep_notes = sweep_from_tokens(values("sweep")[-1], base, settings)
        notes += sweep_notes
    link.notes = _bounded(notes)
    return link
