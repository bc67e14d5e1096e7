"""The peer of the app's page timings (bench/speed.py): a minimal Streamlit app with a title and
one Plotly chart, what any Streamlit app that draws a chart pays for. `streamlit run bench/peer_app.py`"""

import plotly.graph_objects as go
import streamlit as st

st.title("One chart")
st.plotly_chart(go.Figure(go.Bar(x=[str(d) for d in range(10)], y=[178, 182, 177, 183, 181, 182, 181, 179, 174, 180])))
