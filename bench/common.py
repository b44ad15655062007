"""Pieces shared by the benchmark (``bench/run.py``) and the load check (``bench/load.py``).

A synthetic large centre, built through the product's own services wherever they exist: a fresh
database (migrated to head), the organisation and its procedure catalogue, users, and one-stop
dossier export files in the interchange format of docs/formats.md.
"""

import csv
import io
import os
import random
import sys
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from utils import import_formats  # noqa: E402  (after the path is set)

PASSWORD = "bench-password-2026"
SEED = 20261126
AGENCIES = ("000.17.22.H56", "000.18.22.H56", "000.19.22.H56")

FIELDS = (
    # field, department code, department name, share of procedures handled by post
    ("Tài chính – Kế hoạch", "TCKH", "Phòng Tài chính – Kế hoạch", 0.6),
    ("Xây dựng", "QLDT", "Phòng Quản lý đô thị", 0.6),
    ("Giao thông vận tải", "QLDT", "Phòng Quản lý đô thị", 0.3),
    ("Tư pháp – Hộ tịch", "TP", "Phòng Tư pháp", 0.3),
    ("Đất đai", "TNMT", "Phòng Tài nguyên và Môi trường", 0.2),
    ("Môi trường", "TNMT", "Phòng Tài nguyên và Môi trường", 0.0),
    ("Lao động – Thương binh và Xã hội", "LDTBXH", "Phòng Lao động – Thương binh và Xã hội", 0.0),
    ("Văn hóa và Thông tin", "VHTT", "Phòng Văn hóa và Thông tin", 0.2),
    ("Y tế", "YT", "Phòng Y tế", 0.2),
    ("Giáo dục và Đào tạo", "GDDT", "Phòng Giáo dục và Đào tạo", 0.2),
    ("Công thương", "KT", "Phòng Kinh tế", 0.2),
    ("Nông nghiệp và Phát triển nông thôn", "KT", "Phòng Kinh tế", 0.1),
    ("Nội vụ", "NV", "Phòng Nội vụ", 0.0),
    ("Thanh tra", "TTRA", "Thanh tra thành phố", 0.0),
)
WORDS = (
    "Cấp",
    "giấy phép",
    "đăng ký",
    "thay đổi",
    "xác nhận",
    "hộ kinh doanh",
    "xây dựng",
    "đất đai",
    "chứng thực",
    "bản sao",
    "gia hạn",
    "điều chỉnh",
    "thẩm định",
    "công nhận",
    "hợp tác xã",
    "an toàn thực phẩm",
    "trích lục",
    "hộ tịch",
    "môi trường",
    "trợ cấp",
)


def make_app(database_url, **overrides):
    """The product's app on ``database_url`` (a development configuration, CSRF off: the
    benchmark measures server time, the load check sends real tokens to gunicorn instead)."""
    os.environ.setdefault("SECRET_KEY", "bench-secret-key")
    os.environ["DATABASE_URL"] = database_url
    from app import create_app
    from config import normalise_database_url

    config = {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "HTMX_LOCAL_ONLY": True,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    return create_app(config)


def reset_database(database_url):
    """An empty database migrated to head: the SQLite file is removed, a PostgreSQL database's
    public schema is dropped and recreated. Runs the migrations as ``flask db upgrade`` does."""
    from config import normalise_database_url
    from sqlalchemy import create_engine, text

    url = normalise_database_url(database_url)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = make_app(database_url)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"))
        from extensions import db

        db.session.remove()
        db.engine.dispose()


def sqlite_url(path):
    return f"sqlite:///{Path(path).resolve()}"


@contextmanager
def database(args_url, sqlite_path):
    """The database to use: ``DATABASE_URL`` when set, ``--postgres`` starts a throwaway
    PostgreSQL cluster (as the test runner does), otherwise an SQLite file."""
    if args_url == "postgres-cluster":
        sys.path.insert(0, str(ROOT / "tools"))
        from run_tests import postgres_cluster

        with postgres_cluster() as url:
            yield url
        return
    if args_url:
        yield args_url
        return
    yield sqlite_url(sqlite_path)


def procedure_rows(count=300, seed=SEED):
    """``count`` procedures over the fields above, as rows of the procedures import format."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        field, dept_code, dept_name, postal_share = FIELDS[i % len(FIELDS)]
        words = rng.sample(WORDS, 4)
        name = f"{words[0]} {words[1]} {words[2]} {words[3]} số {i + 1}"
        code = f"1.{10000 + i:06d}"
        if i % 9 == 4:
            code += ".000.00.00.H56"
        postal = rng.random() < postal_share
        rows.append(
            {
                "ma_tthc": code,
                "ten_tthc": name,
                "linh_vuc": field,
                "don_vi": dept_code,
                "ten_don_vi": dept_name,
                "cap_thuc_hien": "Cấp huyện",
                "tiep_nhan_bcci": "có" if postal else "không",
                "tra_ket_qua_bcci": "có" if postal or postal_share > 0 else "không",
                "ly_do_khong_bcci": "" if postal else "Phải đối chiếu bản chính.",
                "hieu_luc": "có" if i < count - 3 else "không",
            }
        )
    return rows


# The headers of the interchange files, as the imports declare them.
PROCEDURE_COLUMNS = import_formats.PROCEDURES.names
DOSSIER_COLUMNS = import_formats.DOSSIERS.names
SHIPMENT_COLUMNS = import_formats.SHIPMENTS.names


def to_csv(columns, rows):
    """UTF-8 CSV bytes with a BOM, as the one-stop system exports it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns] if isinstance(row, dict) else row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class DossierGenerator:
    """Dossiers spread over ``days`` days ending ``end``, about evenly per day, over weighted
    procedures. Each dossier is a tuple in ``DOSSIER_COLUMNS`` order (dates ``dd/mm/yyyy``)
    plus, for the shipments, its receive and return channel and dates as values.

    Channels: 1% of dossiers received by post, 2% of results returned by post, and only in the
    procedures flagged for post (a large centre's postal use is concentrated, as in the reference
    case).
    """

    def __init__(self, procedures, total, end, days=5 * 365 + 1, seed=SEED, agencies=AGENCIES):
        self.rng = random.Random(seed)
        self.agencies = agencies  # the dossier codes' agency part, a new one every 10.000 a day
        self.procedures = procedures  # [(code, postal)]
        self.total = total
        self.end = end
        self.start = end - timedelta(days=days - 1)
        self.days = days
        weights = [1.0 / (1 + (i % 37)) ** 0.6 + 0.05 for i in range(len(procedures))]
        postal_share = sum(w for w, (_, postal) in zip(weights, procedures) if postal) / sum(
            weights
        )
        # Overall 1% received and 2% returned by post, all of it in the postal procedures.
        self.receive_rate = min(1.0, 0.01 / postal_share) if postal_share else 0.0
        self.return_rate = min(1.0, 0.02 / postal_share) if postal_share else 0.0
        self._cum = []
        acc = 0.0
        for w in weights:
            acc += w
            self._cum.append(acc)

    def rows(self, offset=0, count=None):
        """Dossiers ``offset`` … ``offset + count - 1`` (deterministic for a given index)."""
        import bisect

        count = self.total - offset if count is None else count
        per_day = self.total / self.days
        rng = self.rng
        cum, top = self._cum, self._cum[-1]
        for index in range(offset, offset + count):
            day = int(index / per_day)
            received = self.start + timedelta(days=day)
            seq = index - int(day * per_day) + 1
            agency = self.agencies[seq // 10000]
            code = f"{agency}-{received:%y%m%d}-{seq % 10000:04d}"
            proc_code, postal = self.procedures[bisect.bisect(cum, rng.random() * top)]
            r = rng.random()
            channel = (
                "bcci"
                if postal and r < self.receive_rate
                else ("truc_tuyen" if r < 0.45 else "truc_tiep")
            )
            returned = received + timedelta(days=rng.randrange(2, 16))
            if returned > self.end:
                returned, ret_channel = None, None
            else:
                r = rng.random()
                ret_channel = (
                    "bcci"
                    if postal and r < self.return_rate
                    else ("truc_tuyen" if r < 0.3 else "truc_tiep")
                )
            yield (code, proc_code, received, channel, returned, ret_channel)

    @staticmethod
    def csv_row(dossier):
        code, proc_code, received, channel, returned, ret_channel = dossier
        return (
            code,
            proc_code,
            received.strftime("%d/%m/%Y"),
            channel,
            returned.strftime("%d/%m/%Y") if returned else "",
            ret_channel or "",
        )


def vn_end_date():
    from utils.dates import vn_today

    return vn_today()


def five_years(end):
    from utils.dates import Period

    return Period(end - timedelta(days=5 * 365), end)


DEMO_PERIOD = (date(2024, 1, 1), date(2024, 9, 30))
