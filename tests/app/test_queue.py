"""app.server.queue: at most `slots` trainings at once, fair between people, with places and estimates."""

import threading
import time

import pytest

from app.server.queue import TrainingQueue


def test_at_most_slots_trainings_run_and_the_rest_wait_with_their_place_and_an_estimate():
    queue = TrainingQueue(slots=2)
    first, second, third = (queue.join(owner, seconds=10.0) for owner in "abc")
    assert queue.try_start(first) and queue.try_start(second)
    assert not queue.try_start(third) and queue.status() == (2, 1)
    place, wait = queue.place(third)
    assert place == 1 and 9.0 < wait <= 10.0  # two 10-second trainings just started, on two slots
    queue.leave(first)
    assert queue.try_start(third) and queue.status() == (2, 0)


def test_a_person_who_has_not_been_served_goes_ahead_of_a_sweeps_next_cell():
    queue = TrainingQueue(slots=1)
    cell = queue.join("sweep")
    assert queue.try_start(cell)
    next_cell = queue.join("sweep")   # in line first
    student = queue.join("student")   # then a student's single run
    assert queue.place(student)[0] == 1 and queue.place(next_cell)[0] == 2
    queue.leave(cell)
    assert not queue.try_start(next_cell) and queue.try_start(student)


def test_turn_waits_for_a_slot_reporting_its_place_and_gives_the_slot_back():
    queue = TrainingQueue(slots=1)
    busy = queue.join("a")
    assert queue.try_start(busy)
    places, done = [], []

    def second():
        with queue.turn("b", on_wait=lambda place, wait: places.append(place), poll=0.01):
            done.append("b")

    thread = threading.Thread(target=second)
    thread.start()
    while not places:
        time.sleep(0.01)
    assert not done and places[0] == 1
    queue.leave(busy)
    thread.join(5)
    assert done == ["b"] and queue.status() == (0, 0)


def test_leaving_the_line_gives_the_place_up():
    queue = TrainingQueue(slots=1)
    busy = queue.join("a")
    queue.try_start(busy)

    def closed_tab(place, wait):
        raise KeyboardInterrupt("closed the tab")

    with pytest.raises(KeyboardInterrupt):
        with queue.turn("b", on_wait=closed_tab, poll=0.01):
            pass
    assert queue.status() == (1, 0)


def test_a_slot_goes_first_to_the_person_with_fewest_trainings_running():
    """Two people each running one training, each with one more waiting: when b's training ends, b
    (now running none) goes ahead of a (still running one), though a was served longer ago."""
    queue = TrainingQueue(slots=2)
    a_running, b_running = queue.join("a"), queue.join("b")
    assert queue.try_start(a_running) and queue.try_start(b_running)
    a_next, b_next = queue.join("a"), queue.join("b")
    assert queue.place(a_next)[0] == 1, "while both run one, the one served longest ago is first"
    queue.leave(b_running)
    assert queue.place(b_next)[0] == 1 and queue.place(a_next)[0] == 2
    assert not queue.try_start(a_next) and queue.try_start(b_next)
