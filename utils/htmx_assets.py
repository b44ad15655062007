"""The htmx script: its vendored copy, and the SRI hash computed from that file."""

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import url_for


@lru_cache(maxsize=4)
def sri_hash(path):
    """``sha384-…`` of the file at ``path``."""
    digest = hashlib.sha384(Path(path).read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode()


def vendored_path(app):
    return Path(app.static_folder) / "vendor" / f"htmx-{app.config['HTMX_VERSION']}.min.js"


def htmx_asset(app):
    """What the layout needs to load htmx: CDN URL (or None), local URL, integrity, and how long
    the loader (``static/js/htmx-loader.js``) waits for the CDN before taking the local copy."""
    local = url_for("static", filename=f"vendor/htmx-{app.config['HTMX_VERSION']}.min.js")
    return {
        "cdn": None if app.config["HTMX_LOCAL_ONLY"] else app.config["HTMX_CDN_URL"],
        "local": local,
        "integrity": sri_hash(str(vendored_path(app))),
        "wait_ms": app.config.get("HTMX_CDN_WAIT_MS", 3000),
    }
