"""Streamlit pieces shared by pages: formatting, charts, cached reads, widgets, session."""
