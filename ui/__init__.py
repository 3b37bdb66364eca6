"""Streamlit pieces shared by pages: cached reads, widgets, form helpers, session, slides."""
