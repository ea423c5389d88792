"""The benchmark behind ``make bench``: seed a Postgres database, load the site with wrk, report.

Run it as ``python -m bench run --scale 1`` (see ``python -m bench --help`` and the
README's "Performance" section). It lives outside the ``lessons`` app on purpose:
it is a tool that drives the site from outside, like the load generator it starts,
and nothing in it is imported by the site itself.
"""
