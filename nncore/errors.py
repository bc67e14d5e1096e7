"""The library's own exception types.

Every error raised on bad input is a subclass of ``ValueError`` carrying one sentence a
person can act on, so the app can show it with ``st.error`` and the command line can print it.
"""


class NNCoreError(ValueError):
    """Base class of every input error the library raises."""


class ConfigError(NNCoreError):
    """A training setting is outside its allowed range or of the wrong type."""


class WeightsFileError(NNCoreError):
    """A file given to ``nncore.load`` is not a valid saved run."""


class ImageError(NNCoreError):
    """An image given to ``nncore.image_to_digit`` cannot be turned into a digit."""


def shorten(text, limit=200):
    """``text`` as a string of at most about ``limit`` characters, for putting text a user supplied
    (a file's entry names, a setting's value, a library's message about them) into an error
    message: a longer one keeps its start and end around '...' and says how long it was, so a
    309-digit number or a list of 200,000 names cannot flood a toast or a terminal."""
    try:
        text = str(text)
    except ValueError:  # an int longer than Python converts to text (4,300 digits by default)
        return "a number too long to show"
    if len(text) <= limit:
        return text
    keep = max(limit - 30, 2) // 2
    return f"{text[:keep]}...{text[-keep:]} ({len(text):,} characters)"
