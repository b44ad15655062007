"""The WSGI entry point for gunicorn (``gunicorn.conf.py`` serves ``wsgi:app``).

Behind a reverse proxy the client's address and scheme arrive in ``X-Forwarded-For`` and
``X-Forwarded-Proto``; ``TRUSTED_PROXIES`` (default 1: the nginx in front, gunicorn listening on
127.0.0.1 only) says how many proxies to believe, so the login limits count per client and not per
proxy. Set it to 0 when gunicorn is reached directly.
"""

import os

from werkzeug.middleware.proxy_fix import ProxyFix

from app import create_app

app = create_app()

_proxies = int(os.environ.get("TRUSTED_PROXIES", "1"))
if _proxies > 0:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=_proxies, x_proto=_proxies, x_host=_proxies)
