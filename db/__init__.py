"""Data layer: models, reads and writes in modules named for what they hold, access rules. Never imports Streamlit."""

import db.counts  # noqa: F401 - registers the session hooks that keep the aggregates current (and the bulk-write guard)
