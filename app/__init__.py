"""The app layer between the pages and nncore: session runs, training with live progress,
chart data and figure builders. Pages call this; this calls nncore; nncore calls neither."""
