"""Per-wall analytics: per-minute rollups kept up to date from the wall's entries
(``rollup``), the ranges they are read over (``ranges``), the figures (``figures``), the page
and its CSV export (``views``); the API is ``crowdwall.api.analytics``. See docs/analytics.md.
"""
