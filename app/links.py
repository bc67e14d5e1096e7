"""The URL's query parameters <-> the sidebar settings and the session's runs (pure functions).

A link carries the sidebar settings as one parameter per setting (``?hidden=128&lr=0.05``) and
each run as a ``run`` parameter listing its non-default settings (``run=hidden:128,lr:0.05``;
``run=default`` for the default config). Anyone can type a URL, so reading is lenient: values
are clamped to their bounds or ignored, with a note saying so.
"""

from dataclasses import fields

from nncore import ConfigError, TrainConfig

MAX_LINKED_RUNS = 8


def _text(value):
    """Exact, short text of a setting: 30, 0.1, 1e-05, tanh."""
    return value if isinstance(value, str) else repr(value)


def config_token(config):
    """A run's settings as URL text: its non-default settings, or 'default'."""
    defaults = TrainConfig()
    parts = [f"{f.name}:{_text(getattr(config, f.name))}" for f in fields(config)
             if getattr(config, f.name) != getattr(defaults, f.name)]
    return ",".join(parts) or "default"


def config_from_token(token):
    """Parse a ``config_token``; returns (config or None, notes)."""
    if token == "default":
        return TrainConfig(), []
    values = {}
    for part in str(token).split(","):
        name, sep, value = part.partition(":")
        if not sep:
            return None, [f"ignored run {token!r}: expected name:value pairs"]
        values[name.strip()] = value.strip()
    unknown = set(values) - {f.name for f in fields(TrainConfig)}
    if unknown:
        return None, [f"ignored run {token!r}: unknown setting(s) {', '.join(sorted(unknown))}"]
    try:
        return TrainConfig.clamped(values)
    except ConfigError as exc:  # clamped() only fails on a combination, never on one value
        return None, [f"ignored run {token!r}: {exc}"]


def to_params(settings, run_configs):
    """Query parameters for the sidebar ``settings`` (a TrainConfig) and the runs' configs."""
    params = {f.name: _text(getattr(settings, f.name)) for f in fields(settings)}
    params["run"] = [config_token(c) for c in run_configs]
    return params


def from_params(params):
    """Read (settings, run configs, notes) from query parameters (a mapping of str to str or list)."""
    def values(key):
        raw = params.get(key, [])
        return raw if isinstance(raw, list) else [raw]

    single = {f.name: values(f.name)[-1] for f in fields(TrainConfig) if values(f.name)}
    settings, notes = TrainConfig.clamped(single)
    runs = []
    for token in values("run"):
        config, run_notes = config_from_token(token)
        notes += run_notes
        if config is not None and config not in runs:
            runs.append(config)
    if len(runs) > MAX_LINKED_RUNS:
        notes.append(f"the link lists {len(runs)} runs; only the last {MAX_LINKED_RUNS} are restored")
        runs = runs[-MAX_LINKED_RUNS:]
    return settings, runs, notes
