"""Gunicorn settings for the web container (read from the working directory by default).

Sized for the bureau's 2-core server: two gthread worker processes per core with two threads
each. A page spends most of its time in Python (templates, serializers), not waiting on
PostgreSQL, and threads of one process share one interpreter lock: with 4 concurrent
clients, 4 workers × 2 threads kept every page's p99 under 100 ms where 2 × 4 reached
105–150 ms (bench/pages.py, one run each). Override with GUNICORN_WORKERS /
GUNICORN_THREADS / GUNICORN_TIMEOUT.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Statement exports run in Celery, so no request should take long; a stuck one is killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# Heartbeat files in memory, not on the container's (possibly slow) overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The application logs one line per refused request itself; the front web server keeps the
# access log. Set GUNICORN_ACCESS_LOG=- to have gunicorn print one too.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# The front web server (nginx) terminates TLS and sets X-Forwarded-Proto. The container is
# reachable only through it (compose publishes the port on 127.0.0.1), so any peer is the
# proxy; narrow this to the proxy's address when it is on another host.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "*")


def post_worker_init(worker):
    """Move everything loaded so far (Django, the apps, their modules) out of the garbage
    collector's sight: a full collection then walks only what requests create, instead of
    pausing a request for tens of milliseconds now and then (the p99 of the API lists)."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 — imports every view module now, not on a request
    gc.collect()
    gc.freeze()
