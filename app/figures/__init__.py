"""The app's charts: pure figure builders, plain data in, a Plotly figure out.

Every module here that imports Plotly imports pandas before it. Plotly looks pandas up in
``sys.modules`` without importing it, to ask whether a value is a pandas Series. While another
session's thread is still importing pandas, that lookup finds a half-made module, and the chart
fails with "partially initialized module 'pandas' has no attribute 'Series'" (plotly/plotly.py
issue 2433; narwhals, which Plotly also uses, already skips a module still being imported). An
``import pandas`` of our own waits for that other import to finish. Done here, it comes before
any chart can be built, so every chart sees pandas whole. The first page draws no chart and
imports nothing from here (pandas costs it 0.3 s of its cold start).
tests/test_architecture.py holds both rules; tests/app/test_figures.py draws a chart while
another thread is halfway through importing pandas.
"""
