"""Data layer: models, reads and writes in modules named for what they hold, access rules. Never imports Streamlit."""

import db.counts  # noqa: F401 - registers the flush listener that keeps the counts current
