"""A refused import lists its first 500 problems on the page, counts the rest, and offers every
problem (row, column, reason) as a CSV download; the command line prints them all."""

import csv
import io
import re

import pytest

from tests.import_checks import a_procedure, post_file

HEADER = "ma_ho_so,ma_tthc,ngay_tiep_nhan,kenh_tiep_nhan\n"


def bad_file(n):
    return (
        HEADER + "".join(f"HS-{i:05d},9.999999,01/01/2024,truc_tiep\n" for i in range(n))
    ).encode()


@pytest.mark.parametrize("url", ["/dossiers/import", "/procedures/import"])
def test_a_long_list_of_problems_is_shown_in_part_and_downloaded_whole(app, client, auth, url):
    a_procedure()
    auth.login("centre")
    data = (
        bad_file(600)
        if url.startswith("/dossiers")
        else (
            "ma_tthc,ten_tthc,linh_vuc,don_vi,tiep_nhan_bcci\n"
            + "".join(f"9.{i:06d},Thủ tục,Lĩnh vực,PB,có lẽ\n" for i in range(600))
        ).encode()
    )
    response = post_file(client, "bad.csv", data, url=url)
    assert response.status_code == 422
    assert response.text.count('<tr><td class="num">') == 500
    assert "Còn 100 lỗi khác không hiển thị." in response.text
    link = re.search(r'href="(/imports/problems/[^"]+\.csv)"', response.text).group(1)
    download = client.get(link)
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["dong", "cot", "ly_do"]
    assert len(rows) == 601
    assert {r[0] for r in rows[1:]} == {str(n) for n in range(2, 602)}


def test_the_download_is_for_the_roles_that_import_and_only_while_it_is_kept(app, client, auth):
    a_procedure()
    auth.login("centre")
    response = post_file(client, "bad.csv", bad_file(3))
    link = re.search(r'href="(/imports/problems/[^"]+\.csv)"', response.text).group(1)
    assert client.get(link.replace(link[-10:-4], "AAAAAA")).status_code == 404
    assert client.get("/imports/problems/not-a-token.csv").status_code == 404
    auth.logout()
    auth.login("leader")
    assert client.get(link).status_code == 403


def test_the_command_line_prints_every_problem(app, runner, tmp_path):
    a_procedure()
    path = tmp_path / "bad.csv"
    path.write_bytes(bad_file(600))
    result = runner.invoke(args=["import", "dossiers", str(path)])
    assert result.exit_code != 0
    assert sum("9.999999" in line for line in result.output.splitlines()) == 600
