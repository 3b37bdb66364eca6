"""Data layer: models, queries, services and access rules. Never imports Streamlit."""
