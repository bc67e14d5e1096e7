"""app.queue: at most `slots` trainings at once, fair between people, with places and estimates."""

import threading
import time

import pytest

from app.queue import TrainingQueue


def hold(queue, owner, started, release, seconds=1.0):
    with queue.turn(owner, seconds, poll=0.01):
        started.append(owner)
        release.wait(5)


def test_at_most_slots_trainings_run_and_the_rest_wait_with_their_place():
    queue = TrainingQueue(slots=1)
    started, release = [], threading.Event()
    first = threading.Thread(target=hold, args=(queue, "a", started, release))
    first.start()
    while not started:
        time.sleep(0.01)
    places = []

    def waiter():
        with queue.turn("b", 2.0, on_wait=lambda place, wait: places.append((place, wait)), poll=0.01):
            started.append("b")

    second = threading.Thread(target=waiter)
    second.start()
    time.sleep(0.1)
    assert started == ["a"] and queue.status() == (1, 1)
    assert places and places[0][0] == 1 and 0 < places[0][1] <= 1.0  # behind one 1-second training
    release.set()
    first.join(5)
    second.join(5)
    assert started == ["a", "b"] and queue.status() == (0, 0)


def test_a_person_with_nothing_running_goes_ahead_of_a_sweeps_next_cell():
    queue = TrainingQueue(slots=1)
    order, release = [], threading.Event()
    sweep_cell = threading.Thread(target=hold, args=(queue, "sweep", order, release))
    sweep_cell.start()
    while not order:
        time.sleep(0.01)
    waiting = [threading.Thread(target=hold, args=(queue, "sweep", order, threading.Event()))]
    waiting[0].start()
    time.sleep(0.05)  # the sweep's next cell is in line first
    single = threading.Thread(target=hold, args=(queue, "student", order, threading.Event()))
    single.start()
    time.sleep(0.05)
    release.set()
    time.sleep(0.2)
    assert order[:2] == ["sweep", "student"]
    for event_thread in waiting + [single]:
        event_thread.join(0.01)


def test_leaving_the_line_gives_the_place_up():
    queue = TrainingQueue(slots=1)
    started, release = [], threading.Event()
    busy = threading.Thread(target=hold, args=(queue, "a", started, release))
    busy.start()
    while not started:
        time.sleep(0.01)

    def leave(place, wait):
        raise KeyboardInterrupt("closed the tab")

    with pytest.raises(KeyboardInterrupt):
        with queue.turn("b", on_wait=leave, poll=0.01):
            pass
    assert queue.status() == (1, 0)
    release.set()
    busy.join(5)
