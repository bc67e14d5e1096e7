"""app/server/memory.py and the budgets it sets: a session's runs, an upload's snapshots, every
session's uploads (a small file that declares a large run must not become a large run in memory, nor
twelve of them in one tab)."""

import gc

import pytest
import streamlit as st

import nncore
from app.server import memory
from app.state import runs
from support import hostile
from tests.app.conftest import PAGES


@pytest.fixture(scope="module")
def bomb():
    return nncore.load(hostile.snapshot_bomb())


def test_snapshots_within_the_limit_are_all_kept(bomb):
    same, dropped = memory.thin_snapshots(bomb, limit=bomb.snapshot_bytes())
    assert same is bomb and dropped == []


def test_snapshots_over_the_limit_keep_as_many_as_fit_the_last_one_first(bomb):
    per_epoch = bomb.snapshot_bytes() // 3
    thinned, dropped = memory.thin_snapshots(bomb, limit=bomb.snapshot_bytes() - 1)
    assert sorted(thinned.snapshots) == [0, 2] and dropped == [1]
    thinned, dropped = memory.thin_snapshots(bomb, limit=2 * per_epoch - 1)
    assert sorted(thinned.snapshots) == [2] and dropped == [0, 1]
    thinned, dropped = memory.thin_snapshots(bomb, limit=per_epoch - 1)
    assert thinned.snapshots == {} and dropped == [0, 1, 2]
    assert thinned.nbytes() == bomb.nbytes() - bomb.snapshot_bytes() and bomb.snapshots  # the upload is not changed


def test_the_ledger_admits_uploads_up_to_its_limit_and_frees_them_with_their_runs():
    class Holder:
        pass

    ledger = memory.Ledger(limit=100)
    first, second = Holder(), Holder()
    assert ledger.admit(first, 60) and ledger.admit(second, 40) and ledger.held == 100  # at the limit
    assert not ledger.admit(Holder(), 1)                                               # over it
    del first
    gc.collect()
    assert ledger.held == 40 and ledger.admit(Holder(), 60)


def test_a_session_keeps_its_runs_within_its_byte_budget_dropping_the_oldest(monkeypatch):
    results = [nncore.train(nncore.TrainConfig(epochs=1, hidden=8, seed=seed)) for seed in range(3)]
    size = results[0].nbytes()
    assert all(r.nbytes() == size for r in results)
    session = runs._Session()
    monkeypatch.setattr(runs, "SESSION_BYTES", 2 * size)
    assert session.add(results[0])[1] is None and session.add(results[1])[1] is None  # at the budget: both kept
    run, notice = session.add(results[2])                                               # over it
    assert run is not None and [r.result for r in session.runs] == results[1:]
    assert notice.startswith("Dropped the oldest run, h8 lr0.1 b64 e1 s0:") and "MB of them" in notice


def test_pinned_runs_that_fill_the_budget_keep_a_new_run_out_with_words(monkeypatch):
    results = [nncore.train(nncore.TrainConfig(epochs=1, hidden=8, seed=seed)) for seed in range(3)]
    session = runs._Session()
    monkeypatch.setattr(runs, "SESSION_BYTES", 2 * results[0].nbytes())
    for result in results[:2]:
        session.add(result)[0].pinned = True
    run, notice = session.add(results[2])
    assert run is None and notice.startswith("Not kept: h8 lr0.1 b64 e1 s2") and "Unpin some" in notice
    assert [r.result for r in session.runs] == results[:2]


def upload(at, name, payload):
    at.file_uploader(key="weights_upload").set_value((name, payload, "application/octet-stream"))
    return at.run()


def test_twelve_uploads_of_zeros_stay_within_the_sessions_budget_and_say_what_was_dropped(app):
    at = app.switch_page(PAGES["compare"]).run()
    for seed in range(12):
        upload(at, f"zeros-{seed}.npz", hostile.snapshot_bomb(seed=seed))
    session = at.session_state["session_runs"]
    assert session.bytes() <= memory.SESSION_BYTES
    assert all(run.result.snapshot_bytes() <= memory.SNAPSHOT_BYTES for run in session.runs)
    said = [w.value for w in at.warning]
    assert any("the weights of 2 epochs were dropped" in text and "replays epochs 2" in text for text in said), said
    assert any("Dropped the oldest run" in text for text in said), said


def test_an_upload_within_every_budget_loads_as_it_was(app):
    saved = nncore.train(nncore.TrainConfig(epochs=3, hidden=8, seed=3))
    at = upload(app.switch_page(PAGES["compare"]).run(), "run.npz", nncore.to_bytes(saved, snapshots=True))
    (run,) = at.session_state["session_runs"].runs
    assert sorted(run.result.snapshots) == sorted(saved.snapshots)
    assert any(s.value.startswith("Loaded **h8 lr0.1 b64 e3 s3**") for s in at.success)


def test_uploads_over_the_servers_budget_are_refused_with_words(app, monkeypatch):
    monkeypatch.setattr(memory, "UPLOAD_BYTES", 1)
    st.cache_resource.clear()  # the server's ledger, made anew with this limit
    at = upload(app.switch_page(PAGES["compare"]).run(), "zeros.npz", hostile.snapshot_bomb())
    assert not at.session_state["session_runs"].runs
    assert any("the runs uploaded on this server take" in e.value for e in at.error)
