"""The organiser's web console (``/walls/console/``): walls and sources set up from a browser.

``access`` gates every view, ``forms`` turn form fields into the models' own validation,
``sample`` fetches a few posts from a source and ``verdicts`` explains which walls they would
reach (nothing stored), ``views`` and ``source_views`` serve the pages.
"""
