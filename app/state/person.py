"""Who a session belongs to, for the training queue's fairness: a person (a browser), not a tab.

Every tab of one browser sends the same cookies. Streamlit's XSRF protection (on by default)
gives each browser a ``_streamlit_xsrf`` cookie holding one secret token, written each time with
a fresh 4-byte mask (``2|mask|masked token|time``, Tornado's format): unmasked, it is the same
in every tab of that browser and differs between browsers. The queue sees a hash of it. Without
the cookie (XSRF protection off, a client that sends none, AppTest) a session counts as a person
of its own. A person can still open another browser or a private window: fairness counts
browsers, which is what a server can know without accounts.
"""

import binascii
import hashlib
import re

import streamlit as st

COOKIE = "_streamlit_xsrf"
_MASKED = re.compile(r"2\|([0-9a-f]{8})\|([0-9a-f]{2,256})\|[0-9]{1,20}")


def browser_token(cookie):
    """The secret token of an XSRF cookie's text (bytes), the same in every tab of a browser;
    None when ``cookie`` is not one (missing, or not Tornado's version-2 format)."""
    found = _MASKED.fullmatch(str(cookie or ""))
    if found is None or len(found.group(2)) % 2:
        return None
    mask, masked = binascii.a2b_hex(found.group(1)), binascii.a2b_hex(found.group(2))
    return bytes(byte ^ mask[i % 4] for i, byte in enumerate(masked))


def owner_of(cookie, session):
    """The queue's owner for a session with this XSRF ``cookie`` text (None: none sent) and this
    session object: 'browser:<hash>' when the cookie names a browser, else 'tab:<id>'."""
    token = browser_token(cookie)
    if token is None:
        return f"tab:{id(session)}"
    return "browser:" + hashlib.sha256(token).hexdigest()[:16]


def owner(session):
    """The queue's owner of the running script's session (``session``: its app.state.runs store)."""
    return owner_of(st.context.cookies.get(COOKIE), session)
