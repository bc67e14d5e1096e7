"""app/state/person.py: the training queue counts a person (a browser), not a tab."""

import binascii

from app.server import trainer
from app.server.queue import TrainingQueue
from app.state import person

TOKEN = bytes(range(32))


def cookie(mask, token=TOKEN, when=1765000000):
    """An XSRF cookie as Tornado writes it: the token masked by a 4-byte mask."""
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(token))
    return f"2|{binascii.b2a_hex(mask).decode()}|{binascii.b2a_hex(masked).decode()}|{when}"


def test_every_tab_of_a_browser_is_one_person_whatever_its_cookies_mask():
    tab, other_tab = object(), object()
    assert person.owner_of(cookie(b"\x01\x02\x03\x04"), tab) == person.owner_of(cookie(b"\xff\x00\xaa\x55"), other_tab)
    assert person.owner_of(cookie(b"\x01\x02\x03\x04"), tab).startswith("browser:")


def test_two_browsers_are_two_people():
    tab = object()
    assert person.owner_of(cookie(b"\x01\x02\x03\x04"), tab) != person.owner_of(
        cookie(b"\x01\x02\x03\x04", token=bytes(32)), tab)


def test_without_a_cookie_that_names_a_browser_each_tab_is_a_person():
    tab, other_tab = object(), object()
    for text in (None, "", "abc", "1|00|00|1", "2|0102|abcd|1", "2|01020304|abc|1", "2|01020304|zz|1"):
        assert person.owner_of(text, tab) == f"tab:{id(tab)}"
        assert person.owner_of(text, tab) != person.owner_of(text, other_tab)


def test_one_student_with_ten_tabs_cannot_push_an_honest_student_back():
    """Ten tabs of one browser, then an honest student: the student is next (place 1) once the first tab runs."""
    queue, tabs = TrainingQueue(slots=1), [object() for _ in range(10)]
    owners = [person.owner_of(cookie(bytes([i, 1, 2, 3])), tab) for i, tab in enumerate(tabs)]
    tickets = [queue.join(owner, seconds=3.0) for owner in owners]
    assert queue.try_start(tickets[0])
    honest = queue.join(person.owner_of(cookie(b"\x09\x09\x09\x09", token=bytes(32)), object()), seconds=0.3)
    place, wait = queue.place(honest)
    assert place == 1 and wait <= 3.0
    queue.leave(tickets[0])
    assert queue.try_start(honest)


def test_the_queue_says_how_many_trainings_are_ahead_and_what_its_wait_assumes():
    first = trainer.queue_text(1, 0.4, 2)
    assert "place 1 in line (no training ahead of yours, 2 running)" in first and "on an idle core" in first
    assert "(1 training ahead" in trainer.queue_text(2, 1.0, 1)
    assert "(2 trainings ahead" in trainer.queue_text(3, 1.0, 1)
