"""gunicorn settings for production (docker/entrypoint.sh passes this file with -c).

Every value can be changed from the environment, so the same file serves the
container, CI's smoke test and the two-server scale-out test.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: each request holds one database connection; Django's CONN_MAX_AGE keeps it open.
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Recycle workers now and then so a slow leak never takes a server down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Logs go to the container's stdout/stderr.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The reverse proxy in front sets X-Forwarded-Proto; trust it from any address inside the private network.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# gunicorn 27's control socket defaults to one path per user: two servers on one host would fight over it,
# and nothing here uses gunicornc.
control_socket_disable = True
