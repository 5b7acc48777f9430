"""Garbage collection in a serving process.

A server holds over a hundred thousand long-lived objects from its start (modules, the app,
SQLAlchemy's mappers and compiled statements). CPython's full collections visit every live
object, and page views, which load many ORM objects that survive a young collection, bring
one on every second or so: 40–70 ms each on a 100,000-measure instance, a pause in whichever
request is running (the slow tail bench/pages.py found). Once started, a server moves what it
holds into the permanent generation: full collections then visit only what was made since,
about 5 ms.
"""
import gc


def settle() -> None:
    """Call once a process has started, just before it serves: what it holds now is never
    collected again (it lives as long as the process anyway)."""
    gc.collect()
    gc.freeze()
