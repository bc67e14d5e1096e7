"""Text from outside (a URL, a file's name) shown as text: Streamlit renders every message as
markdown, so a link's note ``[log in again](https://example.invalid)`` would be a clickable link
and ``![x](http://host/t.png)`` an image each visitor's browser fetches. ``plain`` escapes every
ASCII punctuation character with a backslash (CommonMark's escape, valid for any of them), which
also breaks Streamlit's own ``:red[...]``, ``:material/...:`` and ``$...$`` and the bare
``https://`` links GitHub-flavoured markdown would draw."""

import re

_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def plain(text):
    """``text`` (any object, as str) escaped so that markdown shows it character for character."""
    return _PUNCTUATION.sub(r"\\\1", str(text))
