"""nncore.errors: the library's exception types and the shortening of what they quote."""

from nncore.errors import shorten


def test_short_text_is_kept_as_it_is():
    assert shorten("W1, b1") == "W1, b1" and shorten(42) == "42"


def test_long_text_keeps_its_ends_and_says_how_long_it_was():
    text = "a" * 50 + "b" * 100_000 + "c" * 50
    short = shorten(text, limit=100)
    assert len(short) <= 100 and short.startswith("a" * 35) and short.endswith("c" * 35 + " (100,100 characters)")


def test_a_309_digit_number_is_shortened():
    short = shorten(10**308)
    assert len(short) <= 200 and short.startswith("1000") and "(309 characters)" in short


def test_a_number_too_long_for_str_still_gives_text():
    assert shorten(10**5000) == "a number too long to show"
