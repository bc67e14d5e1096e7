"""Text from outside (a URL, a file's name) shown as text: Streamlit renders every message as
markdown, so a link's note ``[log in again](https://example.invalid)`` would be a clickable link
and ``![x](http://host/t.png)`` an image each visitor's browser fetches. ``plain`` escapes every
ASCII punctuation character with a backslash (CommonMark's escape, valid for any of them), which
also breaks Streamlit's own ``:red[...]``, ``:material/...:`` and ``$...$``."""

import re

_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
# The browser still draws a bare address as a link, escaped or not (GitHub-flavoured markdown's
# autolinks: http://, https://, www., a@b.c): a word joiner (U+2060, invisible) after its start
# breaks the pattern without changing what a reader sees.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|www)(?=[:.])|(@)")
WORD_JOINER = "\u2060"


def plain(text):
    """``text`` (any object, as str) escaped so that markdown shows it character for character
    (with an invisible word joiner inside what would be drawn as a link)."""
    text = _AUTOLINK.sub(lambda found: (found.group(1) or found.group(2)) + WORD_JOINER, str(text))
    return _PUNCTUATION.sub(r"\\\1", text)
