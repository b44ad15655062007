"""A lock wait that runs out is a translated 503 with Retry-After (an in-place message for htmx),
what was typed comes back in a "send again" form, nothing is half-written, and the page needs
nothing from the database; never a 500."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text

from extensions import db
from models import AuditEvent, Procedure
from tests import factories as f
from tests.conftest import ON_POSTGRES


@contextmanager
def short_lock_wait(milliseconds=300):
    """The application's connections wait ``milliseconds`` for a lock (the budget, shortened)."""

    def configure(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        cursor.execute(
            f"SET lock_timeout = {milliseconds}"
            if ON_POSTGRES
            else f"PRAGMA busy_timeout={milliseconds}"
        )
        cursor.close()
        if ON_POSTGRES:
            dbapi_connection.commit()

    db.session.remove()
    db.engine.dispose()
    event.listen(db.engine, "connect", configure)
    try:
        yield
    finally:
        db.session.remove()
        event.remove(db.engine, "connect", configure)
        db.engine.dispose()


@contextmanager
def another_writer():
    """Another process's transaction holding the lock a save needs: SQLite's write lock, or on
    PostgreSQL a lock on the procedures table that lets reads through and stops writes."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        if ON_POSTGRES:
            cursor.execute("LOCK TABLE procedure IN SHARE ROW EXCLUSIVE MODE")
        else:
            cursor.execute("BEGIN IMMEDIATE")
        yield
    finally:
        connection.rollback()
        connection.close()


def counts():
    return db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


@pytest.mark.parametrize("htmx", [False, True])
def test_a_save_that_cannot_get_its_lock_is_a_503_not_a_500(app, client, auth, htmx):
    procedure = f.procedure(code="1.000001")
    db.session.commit()
    procedure_id, version, receive = procedure.id, procedure.version, procedure.eligible_receive
    auth.login("admin")
    before = counts()
    form = {
        "eligible_receive": "no",
        "eligible_return": "yes",
        "reason_code": "other",
        "reason_text": "Ghi chú đang gõ dở",
        "version": str(version),
    }
    headers = {"HX-Request": "true"} if htmx else {}
    with short_lock_wait(), another_writer():
        response = client.post(f"/procedures/{procedure_id}/edit", data=form, headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "Hệ thống đang bận" in response.text
    if htmx:
        assert 'class="alert alert-warning error-fragment"' in response.text
        assert "<html" not in response.text
    else:  # what was typed comes back, ready to be sent again
        assert 'value="Ghi chú đang gõ dở"' in response.text
        assert f'action="http://localhost/procedures/{procedure_id}/edit"' in response.text
    db.session.expire_all()
    stored = db.session.get(Procedure, procedure_id)
    assert (stored.eligible_receive, stored.version) == (receive, version)
    assert counts() == before


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "args",
    [["tally", "check"], ["report", "summary", "--from", "2024-01-01", "--to", "2024-09-30"]],
)
def test_read_only_commands_run_while_another_process_writes(app, runner, args):
    """`tally check` and reports take no write lock: a writer holding it does not stop them."""
    with short_lock_wait(), another_writer():
        result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output


@pytest.mark.sqlite_only
def test_a_get_page_reads_while_another_process_writes(app, client, auth):
    auth.login("centre")
    with short_lock_wait(), another_writer():
        response = client.get("/dossiers")
    assert response.status_code == 200


def import_while_another_writes(client, url, bad, good):
    """Posts a file that is refused, then a good one, to the import page ``url`` while another
    process holds the write lock: the first gets its 422 report at once, the second waits to
    write until the budget runs out (503). Returns the 422 answer."""
    from io import BytesIO

    with short_lock_wait(), another_writer():
        refused = client.post(
            url,
            content_type="multipart/form-data",
            data={"file": (BytesIO(bad.encode()), "bad.csv")},
        )
        waited = client.post(
            url,
            content_type="multipart/form-data",
            data={"file": (BytesIO(good.encode()), "good.csv")},
        )
    assert refused.status_code == 422
    assert waited.status_code == 503
    return refused


@pytest.mark.sqlite_only
def test_an_import_reads_and_checks_its_file_without_the_write_lock(app, client, auth):
    """A refused file is read and checked entirely while another process holds the write lock
    (a 422 listing its bad rows, not a wait); a good one then waits only to write (503 when the
    budget runs out), and nothing is written."""
    from models import Dossier

    f.procedure(code="1.001108")
    db.session.commit()
    auth.login("centre")
    header = "ma_ho_so,ma_tthc,ngay_tiep_nhan,kenh_tiep_nhan\n"
    bad = header + "HS-1,9.999999,01/01/2024,truc_tiep\nHS-2,1.001108,32/01/2024,truc_tiep\n"
    good = header + "HS-1,1.001108,01/01/2024,truc_tiep\n"
    refused = import_while_another_writes(client, "/dossiers/import", bad, good)
    assert "9.999999" in refused.text and "32/01/2024" in refused.text
    assert db.session.execute(select(func.count()).select_from(Dossier)).scalar_one() == 0


@pytest.mark.sqlite_only
def test_the_procedures_import_checks_every_row_without_the_write_lock(app, client, auth):
    """The procedures import checks every row, those reading the database too (department staff
    import only their own department's rows), while another process holds the write lock: a
    refused file gets its whole 422 report; a good one waits only to write (503), unwritten."""
    own = f.department(code="TP")
    f.department(code="QLDT")
    db.session.commit()
    auth.login("department", department=own)
    header = "ma_tthc,ten_tthc,linh_vuc,don_vi\n"
    bad = header + "1.001108,A,Hộ tịch,QLDT\n1.001109,,Hộ tịch,TP\n"
    good = header + "1.001108,A,Hộ tịch,TP\n"
    refused = import_while_another_writes(client, "/procedures/import", bad, good)
    assert (
        '<td class="num">2</td><td><code>don_vi</code></td>'
        "<td>Chỉ được nhập thủ tục của đơn vị mình.</td>"
    ) in refused.text  # another department's
    assert (
        '<td class="num">3</td><td><code>ten_tthc</code></td><td>Cột này không được để trống.</td>'
    ) in refused.text
    assert db.session.execute(select(func.count()).select_from(Procedure)).scalar_one() == 0


@pytest.mark.sqlite_only
def test_the_postal_import_checks_every_row_without_the_write_lock(app, client, auth):
    """The manifest import checks every row, those reading the database too (an unknown
    dossier, a result returned before its dossier was received), while another process holds
    the write lock: a refused file gets its whole 422 report; a good one waits only to write."""
    from datetime import date

    from models import Shipment

    f.dossier(f.procedure(code="1.001108"), date(2024, 3, 10), code="HS-1")
    db.session.commit()
    auth.login("centre")
    header = "so_hieu_buu_gui,chieu,ma_ho_so,ngay\n"
    bad = (
        header
        + "RR473124829VN,tra_ket_qua,HS-KHONG-CO,12/03/2024\n"
        + "RR000000005VN,tra_ket_qua,HS-1,01/03/2024\n"
        + "EB1234,tra_ket_qua,HS-1,12/03/2024\n"
    )
    good = header + "RR473124829VN,tra_ket_qua,HS-1,12/03/2024\n"
    refused = import_while_another_writes(client, "/shipments/import", bad, good)
    assert "HS-KHONG-CO" in refused.text  # unknown dossier
    assert "10/03/2024" in refused.text  # returned before the dossier was received
    assert "EB1234" in refused.text
    assert db.session.execute(select(func.count()).select_from(Shipment)).scalar_one() == 0


def test_after_a_request_commits_its_write_it_only_reads(app):
    """What a request does after committing its change (rendering the answer, reloading what
    the commit expired) begins deferred: waiting for the lock then can never answer "nothing was
    saved" for a change that was saved."""
    from utils import transactions

    with app.app_context(), app.test_request_context("/procedures/new", method="POST"):
        assert transactions.begins_writing()
        f.department(code="NEW")
        db.session.flush()
        assert transactions.begins_writing()  # flushed, not yet committed
        db.session.commit()
        assert not transactions.begins_writing()
        with transactions.writing():
            assert transactions.begins_writing()
    with app.app_context(), app.test_request_context("/procedures/new", method="POST"):
        db.session.commit()  # nothing written: a later write still takes the lock at once
        assert transactions.begins_writing()


def test_the_applications_postgresql_sessions_start_no_parallel_workers(app):
    """A page's statements take milliseconds: on PostgreSQL the application's sessions start no
    parallel workers by default (``DATABASE_PARALLEL_WORKERS``), whose start costs more."""
    from utils.transactions import engine_options

    config = {**app.config, "SQLALCHEMY_DATABASE_URI": "postgresql://host/bcci"}
    assert (
        "-c max_parallel_workers_per_gather=0" in engine_options(config)["connect_args"]["options"]
    )
    if ON_POSTGRES:
        assert db.session.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
