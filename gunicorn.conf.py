"""gunicorn settings for production: ``.venv/bin/gunicorn`` run from the project's root reads this
file by itself (or pass ``-c gunicorn.conf.py``).

Every value can be changed through the environment without editing this file:
``BIND`` (default ``127.0.0.1:8000``: only the reverse proxy on the same machine reaches it),
``WEB_CONCURRENCY`` (workers, default: CPU cores + 1), ``GUNICORN_TIMEOUT`` (seconds, default 120),
``GUNICORN_MAX_REQUESTS`` (default 1000), ``GUNICORN_ACCESS_LOG`` (default ``-``, standard output;
empty turns it off).
"""

import multiprocessing
import os

wsgi_app = "wsgi:app"
bind = os.environ.get("BIND", "127.0.0.1:8000")

# Sync workers: every request is short and database-bound. One more worker than cores keeps the
# CPUs busy while a worker waits on the database or renders a PDF (0,5–2 s); more than that only
# adds memory (about 120 MB each) and, on SQLite, writers queuing for the one write lock.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"
# A 64 MB import file (about a million dossier rows) is the longest request; nothing else comes
# near. A worker silent for longer than this is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5  # behind nginx, which keeps connections to the upstream open

# Replace each worker after about this many requests, so a slow leak can never grow a worker
# past its memory budget; the jitter keeps workers from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = max_requests // 10

# Load the application once in the master: workers fork with the code already imported (faster
# start, shared memory). No database connection is opened at import, and each worker drops any
# pooled connection it inherited (post_fork), so no connection is shared between processes.
preload_app = True

# Logs: one line per request, without the query string or the referrer (a search for a citizen's
# name or a phone number must not end up in a log) and without cookies.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
capture_output = True

# gunicorn believes X-Forwarded-* only from the proxy on this machine (wsgi.py does the rest).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Uploads are bounded by the app (MAX_CONTENT_LENGTH); headers by these limits.
limit_request_line = 8190
limit_request_field_size = 8190
# No runtime control socket: workers are managed by the service manager's signals (HUP, TERM).
control_socket_disable = True


def post_fork(server, worker):
    """Each worker starts with an empty connection pool of its own."""
    from extensions import db

    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)
