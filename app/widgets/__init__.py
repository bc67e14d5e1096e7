"""Widgets and page sections: Streamlit layout shared by several pages."""
