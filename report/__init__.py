"""Exports for meetings: chart images, the PDF meeting report, Excel tables."""
