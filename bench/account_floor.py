"""The logged-in floor's settings: the site's own, whole, with its URLs and one more (``bench.account_floor_urls``).

The logged-in floor is one view that reads the session and its user (two queries) and renders a line of
template: the most any logged-in page of this stack can do. It is served by its own gunicorn
(``bench.account_floor_wsgi``), so the report can say how far each page is from it as well as from the bare floor.
"""

from quizsite.settings import *  # noqa: F403 - the site's settings, whole

ROOT_URLCONF = "bench.account_floor_urls"
