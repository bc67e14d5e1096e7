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


def shorten(text, limit=80):
    """``text`` cut to at most ``limit`` characters (with '…'): user-supplied text quoted in an
    error message must not make the message itself a flood."""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"
