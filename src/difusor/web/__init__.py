"""What the web container shows: the live cut, the waiting page, or the official notice (V.ii.4).

The container (role prep_web) decides per request from two things on disk: whether the site root
has a live cut (`current`), and whether WEB_ROOT/notice/active exists. This package writes those
facts: notice mode on and off, and the freshness watchdog that compares the live cut with the
clock.
"""
