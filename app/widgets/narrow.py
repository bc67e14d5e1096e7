"""What a narrow screen (a phone) needs beyond Streamlit's own layout: the sidebar closes once a
page is chosen in it (open, it covers the whole page), and the Plotly chart toolbar sits in a strip
above each chart instead of over its title.

Streamlit closes the sidebar itself only for a phone's user agent, not for a narrow window or every
phone browser. The script and the style are ours and fixed: nothing from a URL or a file goes in.
"""

import streamlit as st

NARROW = 768  # px: Streamlit's "md" breakpoint, below which the open sidebar overlays the page
TOOLBAR = 30  # px: the height of Plotly's toolbar (the "modebar"), moved above the chart

_SCRIPT = f"""<script>
if (!window.digitsNarrowScreen) {{
  window.digitsNarrowScreen = true;
  document.addEventListener("click", (event) => {{
    const link = event.target.closest('[data-testid="stSidebarNav"] a');
    if (!link || window.innerWidth > {NARROW}) return;
    setTimeout(() => {{
      const sidebar = document.querySelector('[data-testid="stSidebar"]');
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (sidebar && close && sidebar.getAttribute("data-collapsed") === "false") close.click();
    }}, 0);
  }}, true);
}}
</script>"""

# The strip is a margin above the chart: as padding inside Streamlit's fixed height (border-box) it
# pushed the chart's last 30 px, its legend's last row, under whatever followed.
_STYLE = f"""<style>
@media (max-width: {NARROW}px) {{
  [data-testid="stPlotlyChart"] {{ margin-top: {TOOLBAR}px; }}
  [data-testid="stPlotlyChart"] .modebar-container {{ top: -{TOOLBAR}px !important; }}
}}
</style>"""


def fit():
    """On a screen no wider than NARROW px: close the sidebar after a page is chosen in it, and draw
    the charts' toolbar above them (over a chart's title it hid the title's end). Call once per run."""
    st.html(_STYLE + _SCRIPT, unsafe_allow_javascript=True)
