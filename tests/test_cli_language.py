"""Each command-line run speaks one language: Vietnamese by default, English with ``--lang en``
or ``BCCI_LANG=en``; the frames (errors, warnings, row and column, counts) and the reasons the
services give are in the same language, and JSON output does not depend on it."""

import json
import re
from datetime import date

import pytest

from extensions import db
from tests import factories as f

# Letters only Vietnamese uses (precomposed or combining marks).
VIETNAMESE = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯ\u0300-\u036f\u1ea0-\u1ef9]")
ENGLISH_FRAMES = (
    "Error",
    "warning",
    "row ",
    "column",
    "imported",
    "refused",
    "nothing was written",
    "created",
    "updated",
    "unchanged",
)


def manifest(*rows):
    head = "so_hieu_buu_gui,chieu,ma_ho_so,ngay,ho_ten,dia_chi,dien_thoai,cuoc_phi\n"
    return (head + "".join(r + "\n" for r in rows)).encode()


@pytest.fixture()
def files(tmp_path):
    d = f.dossier(f.procedure(code="1.000777", ret=True), date(2024, 3, 1), code="DOSSIER-1")
    db.session.commit()
    # a wrong S10 check digit is a warning; an unknown dossier is a bad row
    warned = tmp_path / "warned.csv"
    warned.write_bytes(manifest(f"RR473124820VN,tra_ket_qua,{d.code},10/03/2024,,,,"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(manifest("RR000000080VN,tra_ket_qua,NOPE-1,10/03/2024,,,,"))
    return warned, bad


@pytest.mark.parametrize("how", ["default", "option", "environment"])
def test_an_import_speaks_one_language(runner, files, how):
    warned, bad = files
    english = how != "default"
    extra, env = {
        "default": ([], {}),
        "option": (["--lang", "en"], {}),
        "environment": ([], {"BCCI_LANG": "en"}),
    }[how]
    ok = runner.invoke(args=["import", "postal", str(warned), *extra], env=env)
    assert ok.exit_code == 0, ok.output
    refused = runner.invoke(args=["import", "postal", str(bad), *extra], env=env)
    assert refused.exit_code != 0
    out = ok.output + refused.output
    if english:
        assert "warning: row 2, column so_hieu_buu_gui: " in ok.output
        assert "imported: 1 added, 0 changed, 0 unchanged" in ok.output
        assert "row 2, column ma_ho_so: " in refused.output
        assert "Error: file refused: 1 bad row; nothing was written" in refused.output
        assert not VIETNAMESE.search(out), out
    else:
        assert "cảnh báo: dòng 2, cột so_hieu_buu_gui: " in ok.output
        assert "đã nhập: 1 thêm mới, 0 thay đổi, 0 không đổi" in ok.output
        assert "dòng 2, cột ma_ho_so: " in refused.output
        assert "Lỗi: tệp bị từ chối: 1 dòng lỗi; không ghi gì" in refused.output
        assert not [frame for frame in ENGLISH_FRAMES if frame in out], out


def test_the_summary_speaks_the_run_language_and_json_does_not_change(runner):
    f.procedure(receive=True)
    db.session.commit()
    args = ["report", "summary", "--from", "2024-01-01", "--to", "2024-09-30"]
    vi, en = runner.invoke(args=args), runner.invoke(args=[*args, "--lang", "en"])
    assert vi.exit_code == 0 and en.exit_code == 0, vi.output + en.output
    assert "Kỳ 01/01/2024 – 30/09/2024" in vi.output and "Thủ tục còn hiệu lực" in vi.output
    assert "Period 01/01/2024 – 30/09/2024" in en.output and "Procedures in force" in en.output
    assert not VIETNAMESE.search(en.output)
    for out in (vi.output, en.output):
        assert "procedures_total" not in out  # the keys are the JSON's, not the reader's
    as_json = [
        runner.invoke(args=[*args, "--json", *extra]).output for extra in ([], ["--lang", "en"])
    ]
    assert as_json[0] == as_json[1] and json.loads(as_json[0])["procedures_total"] == 1


def test_refusals_and_an_unknown_language(runner):
    r = runner.invoke(args=["report", "summary", "--from", "2024-13-01", "--to", "2024-09-30"])
    assert (
        r.exit_code != 0 and "Lỗi: --from: không phải ngày dạng YYYY-MM-DD: 2024-13-01" in r.output
    )
    r = runner.invoke(
        args=["report", "summary", "--from", "2024-13-01", "--to", "2024-09-30"],
        env={"BCCI_LANG": "en"},
    )
    assert "Error: --from: not a date in YYYY-MM-DD form: 2024-13-01" in r.output
    r = runner.invoke(
        args=[
            "users",
            "create",
            "x",
            "--role",
            "department",
            "--password",
            "long-enough-pw",
            "--lang",
            "en",
        ]
    )
    assert "Error: Department staff need a department." in r.output
    r = runner.invoke(args=["tally", "check", "--lang", "fr"])
    assert r.exit_code == 2 and "fr" in r.output
