"""Reading the PDFs the application writes, for the tests: one helper over Debian's poppler-utils
(``pdftotext``, ``pdffonts``, ``pdftoppm``; installed by ``make setup``)."""

import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path


def pdf_text(data, page=None, layout=False):
    """The text of a PDF (bytes), or of one of its pages (1-based); ``layout`` keeps the columns
    where they are on the page."""
    args = ["-f", str(page), "-l", str(page)] if page is not None else []
    if layout:
        args.append("-layout")
    result = subprocess.run(
        ["pdftotext", *args, "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


@contextmanager
def _pdf_file(data):
    """The PDF (bytes) written to a file of a temporary folder: its path."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "document.pdf"
        path.write_bytes(data)
        yield path


def _tool_output(tool, data):
    """What a poppler tool prints about a PDF (bytes)."""
    with _pdf_file(data) as path:
        return subprocess.run([tool, str(path)], capture_output=True, text=True, check=True).stdout


def pdf_info(data):
    """``pdfinfo``'s fields of a PDF as ``{name: value}`` (``Pages``, and the dates only when the
    file holds them)."""
    out = _tool_output("pdfinfo", data)
    return dict(
        (part.strip() for part in line.split(":", 1)) for line in out.splitlines() if ":" in line
    )


def pdf_fonts(data):
    """The names of the fonts a PDF embeds or refers to, as ``pdffonts`` lists them."""
    out = _tool_output("pdffonts", data)
    return [line.split()[0] for line in out.splitlines()[2:] if line.strip()]


def pdf_page_image(data, page=1, dpi=40):
    """One page rendered as a greyscale ``PIL.Image``."""
    from PIL import Image

    with _pdf_file(data) as path:
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-f",
                str(page),
                "-l",
                str(page),
                str(path),
                str(path.parent / "page"),
            ],
            check=True,
        )
        with Image.open(next(path.parent.glob("page*.png"))) as image:
            return image.convert("L")
