"""The brief as printed: table headings break only between words, the signature block leaves at
least 3 cm for a signature and seal, the chart has axis titles, and a "—" in the targets table is
explained by a footnote. Read from the PDF's text (poppler's pdftotext) and its word boxes."""

import re
import subprocess
from datetime import date

import pytest

from extensions import db
from tests import factories as f
from tests.pdf import pdf_info, pdf_text
from utils.dates import Period

pytestmark = pytest.mark.pdf
PERIOD = Period(date(2024, 1, 1), date(2024, 3, 31))
POINTS_PER_CM = 72 / 2.54


def _catalogue():
    """Two departments with dossiers and no postal use: Tư pháp's procedure may be received and
    returned by post, Tài nguyên's only returned, so it gets no C2 share ("—")."""
    f.org_settings(**f.CENTRE, recipients="Lưu: VT.")
    tp = f.department("TP", "Phòng Tư pháp")
    tn = f.department("TNMT", "Phòng Tài nguyên và Môi trường")
    both = f.procedure(name="Chứng thực bản sao", department_=tp, receive=True, ret=True)
    ret = f.procedure(name="Đăng ký biến động đất đai", department_=tn, receive=False, ret=True)
    for day in range(1, 21):
        f.dossier(both, date(2024, 2, day))
        f.dossier(ret, date(2024, 3, day))
    db.session.commit()


@pytest.fixture()
def brief(app):
    from blueprints.briefs import services

    _catalogue()
    context = services.brief_context(PERIOD, date(2024, 4, 2))
    html = services.render_document(context)
    from utils.pdf import render_pdf

    return {"html": html, "pdf": render_pdf(html, services.STYLESHEETS)}


def _lines(data):
    return [line.strip() for line in pdf_text(data).splitlines() if line.strip()]


def test_table_headings_break_between_words_only(brief):
    lines = _lines(brief["pdf"])
    # The criteria table: "Tử số/mẫu số" and "Điểm đạt/tối đa" break at the slash, if at all.
    for heading in (("Tử số/", "mẫu số"), ("Điểm đạt/", "tối đa")):
        joined = "".join(heading)
        assert joined in lines or all(part in lines for part in heading), heading
    # In the tables by field and department, words of two syllables stay on one line.
    start = lines.index("Số TTHC")
    header = lines[start : lines.index("1", start)]
    assert "hiệu lực" in header and "điều kiện" in header and "Tiếp nhận" in header
    for syllable in ("hiệu", "lực", "điều", "kiện", "Tiếp", "nhận", "Tỷ", "lệ"):
        assert syllable not in header, syllable
    assert not any(line in ("tối", "đa", "(tử", "số/mẫu số)") for line in lines)


def test_the_signature_block_leaves_three_centimetres(brief, tmp_path):
    path = tmp_path / "brief.pdf"
    path.write_bytes(brief["pdf"])
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = out.split("<page ")
    last = pages[-1]
    title = re.search(r'yMax="([\d.]+)">GIÁM</word>', last)
    name = re.search(r'yMin="([\d.]+)"[^>]*>Vũ</word>', last)
    assert title and name, "the signer's title and name are on the last page"
    gap = float(name.group(1)) - float(title.group(1))
    assert gap >= 3 * POINTS_PER_CM, f"{gap / POINTS_PER_CM:.1f} cm"


def test_the_chart_has_axis_titles(brief):
    chart = brief["html"][brief["html"].index('<svg class="trend-chart"') :]
    chart = chart[: chart.index("</svg>")]
    assert re.search(r'class="axis-title"[^>]*>Tháng</text>', chart)
    assert re.search(r'class="axis-title"[^>]*>Tỷ lệ trên hồ sơ tiếp nhận \(%\)</text>', chart)
    text = " ".join(pdf_text(brief["pdf"]).split())
    assert "Tháng" in text and "C3 ≥ 5%: 0,50 điểm" in text


def test_a_dash_in_the_targets_table_is_explained(brief):
    text = " ".join(pdf_text(brief["pdf"]).split())
    targets = text[text.index("Chỉ tiêu phân bổ") :]
    assert "—(*)" in targets.replace(" ", "") or "— (*)" in targets
    assert "(*) Dấu “—”: phòng, ban không được giao chỉ tiêu ở tiêu chí đó" in targets


def test_no_footnote_without_a_dash(app):
    from blueprints.briefs import services

    dept = f.department("TP", "Phòng Tư pháp")
    proc = f.procedure(name="Chứng thực bản sao", department_=dept, receive=True, ret=True)
    for day in range(1, 21):
        f.dossier(proc, date(2024, 2, day))
    db.session.commit()
    html = services.render_html(services.brief_context(PERIOD, date(2024, 4, 2)))
    assert "Chỉ tiêu phân bổ" in html
    assert "Dấu “—”" not in html


def _heading_near_the_foot(space_mm):
    """A document whose section heading, its note and its table start ``space_mm`` down the
    first page (laid out with the brief's stylesheets): :return: the PDF."""
    from blueprints.briefs import services
    from utils.pdf import render_pdf

    rows = "".join(f"<tr><td>{i}</td><td>Hàng số {i}</td></tr>" for i in range(1, 9))
    html = (
        '<html lang="vi"><body class="document"><article class="brief">'
        f'<div style="height: {space_mm}mm"></div>'
        "<h3>4. Kết quả theo lĩnh vực</h3>"
        '<p class="note">Ghi chú dưới đề mục.</p>'
        f'<table class="data"><tbody>{rows}</tbody></table>'
        "</article></body></html>"
    )
    return render_pdf(html, services.STYLESHEETS)


def test_a_heading_is_never_alone_at_the_foot_of_a_page(app):
    """Wherever the heading falls near the foot of the page, it is on the page of its note and
    of its table's first row (at 215-250 mm down a 257 mm page, some step leaves the heading,
    or the heading and note, alone without break-after: avoid)."""
    moved = 0
    for space in range(215, 251, 5):
        pdf = _heading_near_the_foot(space)
        [page] = [p for p in (1, 2) if "Kết quả theo lĩnh vực" in pdf_text(pdf, p)]
        text = pdf_text(pdf, page)
        assert "Ghi chú dưới đề mục." in text and "Hàng số 1" in text, space
        moved += page == 2
    assert moved  # some of them went to the next page with their table


def _lead_in_near_the_foot(html, lead_in, space_mm):
    """The brief's paragraph holding ``lead_in`` and the table it introduces, as the template
    writes them, ``space_mm`` down the first page (laid out with the brief's stylesheets):
    :return: the PDF."""
    from blueprints.briefs import services
    from utils.pdf import render_pdf

    start = html.rindex("<p", 0, html.index(lead_in))
    end = html.index("</table>", start) + len("</table>")
    document = (
        '<html lang="vi"><body class="document"><article class="brief">'
        f'<div style="height: {space_mm}mm"></div>{html[start:end]}'
        "</article></body></html>"
    )
    return render_pdf(document, services.STYLESHEETS)


def test_a_lead_in_is_never_alone_at_the_foot_of_a_page(app):
    """A paragraph that introduces a table with a colon (the outreach list's "Cụ thể:", the
    targets' "… (tiêu chí 2, 3):") is on the page of the table's first row wherever it falls
    near the foot of the page (at 200-245 mm down a 257 mm page, some step leaves it alone
    without break-after: avoid)."""
    from blueprints.briefs import services

    _catalogue()
    context = services.brief_context(PERIOD, date(2024, 4, 2))
    html = services.render_document(context)
    first_rows = {
        "Cụ thể:": context["outreach"][0][0].name,
        "(tiêu chí 2, 3):": context["target_rows"][0]["name"],
    }
    for lead_in, first_row in first_rows.items():
        moved = 0
        for space in range(200, 246, 5):
            pdf = _lead_in_near_the_foot(html, lead_in, space)
            count = int(pdf_info(pdf)["Pages"])
            pages = [" ".join(pdf_text(pdf, p).split()) for p in range(1, count + 1)]
            [page] = [p for p, text in enumerate(pages, 1) if lead_in in text]
            assert first_row in pages[page - 1], (lead_in, space)
            moved += page == 2
        assert moved, lead_in  # some of them went to the next page with their table
