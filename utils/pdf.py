"""PDF documents with WeasyPrint: print CSS and fonts from ``static/``, nothing fetched elsewhere.

Every document (the meeting brief, the hand-over record) goes through ``render_pdf``. Resources
come through ``StaticOnlyFetcher``, which serves files under ``static/`` and refuses every other
URL: no HTTP (not even back to the application, which could deadlock a worker), no ``data:``, no
file outside ``static/``. Stylesheets, and the fonts their ``@font-face`` rules load, are parsed
once per process into one ``FontConfiguration``; a document costs only its own layout.

WeasyPrint is imported on first use: it costs about 0,45 s, which commands that print no
document should not pay.
"""

import logging
import mimetypes
import threading
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

STATIC_ROOT = (Path(__file__).resolve().parent.parent / "static").resolve()
BASE_URL = STATIC_ROOT.as_uri() + "/"
# The stylesheet every document uses: the vendored Tinos faces and the A4 page of an
# administrative document (Nghị định 30/2020/NĐ-CP). Documents add their own after it.
BASE_STYLESHEET = "css/document.css"

log = logging.getLogger("bcci.pdf")

# WeasyPrint's font configuration and cached stylesheets are not safe to share between threads
# laying out at the same time (the threaded development server, test live servers).
_render_lock = threading.Lock()


class ResourceRefused(ValueError):
    """A document asked for a resource outside ``static/``."""


def static_path(url, root=STATIC_ROOT):
    """The file under ``root`` that ``url`` names, or ``None`` when it names anything else.

    Only ``file:`` URLs without a host are considered; ``..`` segments and symbolic links are
    resolved before the check, so neither leads out of ``root``.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    try:
        path = Path(unquote(parts.path)).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves files under ``static/``; refuses every other URL (logged, never fetched)."""

        def __init__(self, root=STATIC_ROOT):
            super().__init__(
                allowed_protocols=("file",), allow_redirects=False, fail_on_errors=False
            )
            self.root = root

        def fetch(self, url, headers=None):
            path = static_path(url, self.root)
            if path is None:
                log.warning("document resource refused: %.200s", url)
                raise ResourceRefused(f"only files under static/ are served: {url[:200]}")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), path.read_bytes(), headers={"Content-Type": mime}
            )

    return StaticOnlyFetcher


@lru_cache(maxsize=1)
def _engine():
    """``(fetcher, font_config)``: one of each per process."""
    from weasyprint.text.fonts import FontConfiguration

    return _fetcher_class()(), FontConfiguration()


def fetcher():
    """The process's ``StaticOnlyFetcher``."""
    return _engine()[0]


@lru_cache(maxsize=16)
def _stylesheet(name):
    """A stylesheet of ``static/`` parsed once; its ``@font-face`` fonts load into the process's
    font configuration.
    """
    from weasyprint import CSS

    url_fetcher, font_config = _engine()
    path = static_path((STATIC_ROOT / name).as_uri())
    if path is None:
        raise ResourceRefused(f"no stylesheet {name} under static/")
    return CSS(url=path.as_uri(), url_fetcher=url_fetcher, font_config=font_config)


def render_pdf(html, stylesheets=()):
    """Lay out an HTML document and return the PDF's bytes.

    :param html: the whole document as a string (a rendered template: user text escaped).
    :param stylesheets: names under ``static/`` applied after ``css/document.css``.
    :raise ResourceRefused: a named stylesheet is not a file under ``static/``.
    """
    from weasyprint import HTML

    url_fetcher, font_config = _engine()
    with _render_lock:
        sheets = [_stylesheet(name) for name in (BASE_STYLESHEET, *stylesheets)]
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=url_fetcher)
        return document.write_pdf(stylesheets=sheets, font_config=font_config)


def warm_up(stylesheets=()):
    """Parse the stylesheets and load the fonts now (a server may call it at start)."""
    with _render_lock:
        for name in (BASE_STYLESHEET, *stylesheets):
            _stylesheet(name)
