"""Helpers that the tests and the benchmarks share, owned by neither: the app as a real server
(``appserver``) and people's visits driven in headless Chromium (``sessions``)."""
