"""Data layer: models, queries, services and access rules. Never imports Streamlit."""

import db.counts  # noqa: F401 - registers the flush listener that keeps the counts current
