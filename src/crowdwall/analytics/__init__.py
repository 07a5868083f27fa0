"""Per-wall analytics: rollups by minute and by hour kept up to date from the wall's entries
(``rollup`` finds what changed, ``recompute`` recounts minutes and moves hours and totals;
``grains`` names minutes, hours and the four row shapes), the ranges they are read over
(``ranges``), the reads (``reads``: full hours plus edge minutes), the figures (``figures``,
``authors``), the page and its CSV export (``views``); the API is ``crowdwall.api.analytics``.
See docs/analytics.md.
"""
