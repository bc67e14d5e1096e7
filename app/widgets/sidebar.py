"""The shared sidebar: the run shown (first, with its settings and "load these settings"), the
settings to train next with their allowed values in words, the Train button, a teacher's link,
and the URL that brings all of it back."""

import dataclasses

import streamlit as st

import nncore
from app.server import lock, trainer
from app.state import links, runs
from app.widgets.text import plain
from nncore import BOUNDS, ConfigError
from nncore.config import check_setting, lr_advice
from nncore.lab.cost import duration
from nncore.lab.glossary import define
from nncore.lab.lessons import BY_KEY as LESSONS

# the order of the boxes: these first, the rest under "More settings"; each box's label, step, format, choices
# and help come from nncore's BOUNDS
MAIN = ("epochs", "hidden", "lr", "batch", "seed", "optimizer", "activation")
MORE = ("momentum", "l2", "schedule", "patience", "val_share", "augment", "ensemble", "scaling", "train_share",
        "label_noise")


def _key(name):
    return f"setting_{name}"


def _put(config):
    """Put a config's values into the setting widgets (before they are drawn)."""
    for name in BOUNDS:
        st.session_state[_key(name)] = getattr(config, name)


def restore_from_url():
    """On a session's first run: settings, runs, selection, a teacher's locks and the last sweep's
    grid (rebuilt by the Sweep page, app.server.sweeps.from_link) from the URL. Returns notes on
    what the URL got wrong or could not bring back."""
    if st.session_state.get("url_restored"):
        return []
    st.session_state["url_restored"] = True
    link = links.from_params(st.query_params.to_dict() | {"run": st.query_params.get_all("run")})
    _put(link.settings)
    session = runs.current()
    fixed = lock.server_lock()[0]
    for linked in link.runs:
        broken = lock.breaks(linked.config, fixed)
        if broken:
            link.notes.append(f"ignored run {linked.name}: this server fixes "
                              f"{lock.words({name: fixed[name] for name in broken})}")
        elif linked.uploaded:
            link.notes.append(f"{linked.config.name} came from an uploaded file, which a link cannot carry: "
                              "upload it again on Compare runs (or train its settings)")
        else:
            session.request(linked.config, linked.stop_at, "link", color=linked.color)
    names = [r.name for r in link.runs]
    if link.selected is not None and not link.runs[link.selected].uploaded:
        st.session_state["select_after_restore"] = names[link.selected]
    if link.overlay:
        st.session_state["overlay"] = [names[i] for i in link.overlay if not link.runs[i].uploaded]
        st.session_state["overlay_offered"] = names  # the sender chose among them: none is new to Compare
    st.session_state["locked"], st.session_state["hidden"] = link.lock, link.hide
    st.session_state["lesson"], st.session_state["lesson_guesses"] = link.lesson, dict(link.guesses)
    if link.sweep is not None:
        fixed_swept = set(link.sweep.names) & (set(link.lock) | set(fixed))
        if fixed_swept:
            link.notes.append(f"ignored the sweep: it sweeps {', '.join(sorted(fixed_swept))}, which is fixed here")
        else:
            st.session_state["sweep_from_link"] = link.sweep
    return link.notes


def locked_settings():
    """The names of the settings nobody in this session may change: the link's lock (guidance)
    and this server's DIGITS_LOCK (app.server.lock)."""
    return set(st.session_state.get("locked", [])) | set(lock.server_lock()[0])


def settings_controls():
    """Draw the settings and the Train button; returns the TrainConfig the boxes show, or None
    while a box holds a value that is not allowed (Train is then disabled)."""
    defaults, values, problems = nncore.TrainConfig(), {}, []
    fixed, lock_problems = lock.server_lock()
    locked, hidden = locked_settings(), set(st.session_state.get("hidden", []))
    for name, value in fixed.items():  # whatever a link or a click put there
        st.session_state[_key(name)] = value
    with st.sidebar:
        # Train sits beside the heading, above the settings: below them it fell under the fold of a
        # 1400x1000 screen (the page list and the run shown come first); the button is drawn once the
        # boxes' values are read, into this place.
        heading, train_place = st.columns([3, 2], vertical_alignment="center")
        heading.subheader("Train a new run")
        if locked - set(fixed):
            st.caption(f":material/lock: Your teacher fixed {', '.join(sorted(locked - set(fixed)))}.")
        if fixed:
            st.caption(f":material/lock: This server fixes {plain(lock.words(fixed))}.")
        for problem in lock_problems:
            st.caption(f":orange[:material/warning: {lock.VARIABLE}: {plain(problem)}]")
        for name in MAIN + MORE:
            if name == MORE[0]:
                more = st.expander("More settings", icon=":material/tune:")
            setting = BOUNDS[name]
            label = setting.label
            st.session_state.setdefault(_key(name), getattr(defaults, name))
            if name in hidden:
                values[name] = st.session_state[_key(name)]
                continue
            where = more if name in MORE else st
            help_text = (f"{setting.help[0].upper()}{setting.help[1:]}. Allowed: {setting.allowed()}; "
                         f"default {getattr(defaults, name)}.")
            if setting.term:  # the glossary's sentence follows the setting's help (where learners meet it)
                help_text = f"{help_text}\n\n**{setting.term}**: {define(setting.term)}"
            # The value a box holds is also given as its default: the browser can draw a new box from its
            # default before the value arrives (an Epochs box opened from a link would read 0), and a click
            # in that moment would send the default back as the setting.
            current = st.session_state[_key(name)]
            if setting.choices:
                values[name] = where.selectbox(label, setting.choices, key=_key(name), help=help_text,
                                               index=setting.choices.index(current) if current in setting.choices
                                               else 0, disabled=name in locked, format_func=setting.choice_name)
                continue
            # no min/max on the box: a value out of range stays as typed and is explained below it
            values[name] = where.number_input(label, value=setting.kind(current), step=setting.kind(setting.step),
                                              format=setting.format,
                                              key=_key(name), help=help_text, disabled=name in locked)
            try:
                check_setting(name, values[name])
            except ConfigError:
                problems.append(name)
                where.markdown(f":red[:material/error: {label} must be {setting.allowed()}.]")
        config = None if problems else nncore.TrainConfig(**values)
        advice = config and lr_advice(config.optimizer, config.lr)
        if advice:
            st.caption(f":orange[:material/speed: {advice}]")
        st.session_state["sidebar_settings"] = config
        # read as the button's return value, not in a callback: a callback would get the settings of the
        # previous script run, and a value typed just before the click would not be the one trained
        if train_place.button("Train", type="primary", width="stretch", icon=":material/play_arrow:",
                              disabled=config is None, help="Fix the settings marked in red first" if config is None
                              else "Train the settings below"):
            _request(config)
            st.session_state["preset_filled"] = False
        if not locked:
            st.button("Handwriting preset", width="stretch", icon=":material/draw:", on_click=use_preset,
                      help="Settings that read digits people draw or upload far better: "
                           f"{nncore.handwriting_config().name} (about "
                           f"{duration(trainer.estimate(nncore.handwriting_config()))} to train on an "
                           "idle core). Fills in the settings; then train them here or with Train.")
            _preset_filled(config)
    return config


def _preset_filled(config):
    """Under the preset button, while the boxes hold the preset it filled in and it is not trained
    yet: what it did, and a button to train it (the preset is what a learner waits for before drawing)."""
    preset = nncore.handwriting_config()
    if not st.session_state.get("preset_filled"):
        return
    if config != preset or runs.get(links.config_token(preset)) is not None:  # a box changed, or it trained
        st.session_state["preset_filled"] = False
        return
    st.success(f"Filled in the handwriting preset: {links.settings_text(preset)}. Nothing is trained yet.",
               icon=":material/draw:")
    st.button("Train the preset now", type="primary", width="stretch", icon=":material/play_arrow:",
              on_click=use_preset, kwargs={"train": True}, key="train_filled_preset")


def current_settings():
    """The settings the sidebar's boxes show (None while one holds a value that is not allowed)."""
    return st.session_state.get("sidebar_settings")


def _request(config):
    runs.current().request(config)


def preset_config():
    """``nncore.handwriting_config()`` with a teacher's locked settings kept as the boxes hold
    them; returns (config, names of the locked settings that differ from the preset). Raises
    ConfigError when the locked values and the preset do not go together."""
    preset, locked = nncore.handwriting_config(), st.session_state.get("locked", [])
    kept = {name: st.session_state.get(_key(name), getattr(preset, name)) for name in locked if name in BOUNDS}
    differs = [name for name, value in kept.items() if value != getattr(preset, name)]
    return dataclasses.replace(preset, **kept), differs


def use_preset(train=False):
    """Button callback: put the preset (``preset_config``: a teacher's locked settings kept) into
    the settings, and train it when ``train``; says what it did."""
    try:
        config, _ = preset_config()
    except ConfigError:  # the page that offers the preset says why it cannot
        st.session_state["preset_filled"] = False
        return
    locked = set(st.session_state.get("locked", []))
    for name in BOUNDS:
        if name not in locked:
            st.session_state[_key(name)] = getattr(config, name)
    st.session_state["preset_filled"] = not train
    if train:
        _request(config)


def load_settings(config):
    """Button callback: ``config``'s settings into the boxes (a teacher's locked ones stay), to
    train it or a variation of it."""
    locked = locked_settings()
    for name in BOUNDS:
        if name not in locked:
            st.session_state[_key(name)] = getattr(config, name)


def run_selector(top):
    """The run shown (in ``top``, the sidebar's first place): drawn after any training, so a new
    run can be selected at once; its settings in words and a button to load them."""
    names = [run.name for run in reversed(runs.all_runs())]  # a run's name is as unique as its key
    pending = runs.get(runs.take_pending_selection())
    restored = st.session_state.get("select_after_restore")  # a link's selection, once its run is there
    if restored in names:
        pending = runs.get(st.session_state.pop("select_after_restore"))
    if pending is not None:
        st.session_state["selected_run"] = pending.name
    with top:
        if not names:
            st.caption("No runs yet: set the settings below and press **Train**.")
            return
        if st.session_state.get("selected_run") not in names:
            st.session_state["selected_run"] = names[0]
        choices = {run.name: run.choice() for run in runs.all_runs()}
        st.selectbox("Showing run", names, key="selected_run", format_func=choices.get,
                     help="The run every page shows, newest first. " + links.NAME_HELP)
        run = runs.selected()
        st.caption(f"{links.settings_text(run.config)} · {run.status}")
        st.button("Load these settings", icon=":material/settings_backup_restore:", on_click=load_settings,
                  args=(run.config,), width="stretch", help="Put this run's settings into the boxes below, to "
                  "train a variation of it.")


def teacher_link(settings):
    """'Share with a class': a link that opens on these settings with only the chosen ones free.
    Drawn only while the box is open: the link's code box would load a syntax highlighter (1.5 MB
    of JavaScript) into every first page."""
    with st.sidebar.expander("Share with a class", icon=":material/school:", key="share_open",
                             on_change="rerun") as box:
        if not box.open:
            return
        if settings is None:
            st.caption("Fix the settings marked in red first.")
            return
        free = st.multiselect("Settings students may change", list(MAIN + MORE), default=["lr"], key="teacher_free",
                              format_func=lambda name: BOUNDS[name].label)
        hide = st.checkbox("Hide the fixed ones", key="teacher_hide")
        lesson = LESSONS.get(st.session_state.get("lesson"))
        on_lesson = lesson is not None and st.checkbox(f"Open on the lesson “{lesson.title}”", key="teacher_lesson",
                                                       help="The link opens Start here on this lesson, "
                                                            "before any guess.")
        fixed = [name for name in MAIN + MORE if name not in free]
        params = links.to_params(settings, [], lock=fixed, hide=fixed if hide else (),
                                 lesson=lesson.key if on_lesson else None)
        query = "&".join(f"{k}={v}" for k, v in params.items() if k != "run")
        st.code(f"?{query}", language=None, wrap_lines=True)
        st.caption("Add this to the app's address and share it: everyone opens on these settings, with only "
                   "the chosen ones free to change.")
        st.caption(":material/info: The lock is guidance, not security: anyone can edit the address and lift it. "
                   f"To fix settings for everyone on a server, whoever runs it sets `{lock.VARIABLE}` (see the "
                   "README), which no link can lift.")


def linked_sweep():
    """The grid a link should carry: the session's last sweep's (app.server.sweeps.last), else the
    one its own link carried while the Sweep page has not rebuilt it yet; None."""
    record = st.session_state.get("sweep_record")
    return record.sweep if record is not None else st.session_state.get("sweep_from_link")


def write_url(settings):
    """Put the settings, the session's runs, the selection, the overlay and the last sweep's grid into the URL."""
    all_runs = runs.all_runs()
    names = [run.name for run in all_runs]
    linked = [links.LinkedRun(run.config, run.result.epochs_run if run.result.stopped_early else None,
                              run.source == "uploaded", runs.COLORS.index(run.color)) for run in all_runs]
    selected = st.session_state.get("selected_run")
    overlay = [names.index(n) for n in st.session_state.get("overlay", []) if n in names]
    if settings is None:  # a box holds a value that is not allowed: keep the URL's settings
        settings = links.from_params(st.query_params.to_dict()).settings
    params = links.to_params(settings, linked, names.index(selected) if selected in names else None, overlay,
                             st.session_state.get("locked", []), st.session_state.get("hidden", []),
                             st.session_state.get("lesson"), st.session_state.get("lesson_guesses"), linked_sweep())
    current = st.query_params.to_dict() | {"run": st.query_params.get_all("run")}
    if current != params:
        st.query_params.from_dict(params)

