"""Streamlit-free output shared by pages and exports: charts, formatting, tables, the PDF report, images, Excel.

Nothing here imports `ui` or `streamlit`, so `ui` and `pages` import from here without a cycle.
"""
