"""The organiser's web console (``/walls/console/``): walls and sources set up from a browser.

``access`` gates every view (``may_organise``); ``forms`` put form fields through the models'
own validation; ``rules`` says what each rule of a wall will match; ``sample`` fetches a few
posts from a source and ``verdicts`` explains which walls they would reach, nothing stored;
``views`` (walls) and ``source_views`` (sources) serve the pages; ``people`` (rules) and
``people_views`` grant and revoke a wall's roles; ``schedule_views`` imports its schedule;
``delete_views`` deletes sources and walls. See docs/console.md.
"""
