"""The fixed organisation the golden files are computed on (``tests/test_golden.py``).

Every value is written out here or drawn from a seeded generator, and nothing depends on the
order tests run in (``tests/factories.py`` numbers its records with a process-wide counter, so it
is not used): the same records, with the same ids, on SQLite and PostgreSQL. Changing anything
here changes the golden files; regenerate them with ``tools/golden.py`` and say why in the commit.
"""

import random
from datetime import date, timedelta

from extensions import db
from models import (
    Meeting,
    RubricVersion,
    Shipment,
    Task,
)
from tests import factories
from utils.validators import s10_check_digit

# The period the brief and the summaries cover, and the brief's date.
PERIOD = (date(2024, 1, 1), date(2024, 9, 30))
BRIEF_DATE = date(2024, 10, 5)
SEED = 17
# The organisation's own rubric: bands above what it reaches, so the brief shows gaps and targets.
RUBRIC = {
    "C1": {"max": "1.00", "bands": [["70", "0.50"], ["90", "1.00"]]},
    "C2": {"max": "1.00", "bands": [["10", "0.50"], ["40", "1.00"]]},
    "C3": {"max": "1.00", "bands": [["25", "0.50"], ["50", "1.00"]]},
}

DEPARTMENTS = (
    ("TCKH", "Phòng Tài chính – Kế hoạch"),
    ("QLDT", "Phòng Quản lý đô thị"),
    ("TP", "Phòng Tư pháp"),
)

# field, its centre's note, department code, procedures: (code, name, in force, receive, return)
FIELDS = (
    (
        "Tài chính – Kế hoạch",
        "Tiếp nhận và trả kết quả qua BCCI.",
        "TCKH",
        (
            ("1.001612", "Đăng ký thành lập hộ kinh doanh", True, True, True),
            ("1.001266", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", True, True, True),
            ("2.000575", "Tạm ngừng hoạt động hộ kinh doanh", True, False, True),
        ),
    ),
    (
        "Xây dựng",
        "",
        "QLDT",
        (
            ("1.009994", "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", True, True, True),
            ("1.009995", "Cấp giấy phép sửa chữa, cải tạo công trình", True, False, False),
            ("1.009996", "Gia hạn giấy phép xây dựng", False, True, True),
        ),
    ),
    (
        "Hộ tịch",
        "Trả kết quả qua BCCI khi người dân yêu cầu.",
        "TP",
        (
            ("1.000656", "Đăng ký khai sinh", True, False, True),
            ("1.000894", "Đăng ký kết hôn", True, False, False),
            ("2.000635", "Cấp bản sao trích lục hộ tịch", True, True, True),
        ),
    ),
)

NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Quốc Dũng", "Hoàng Thị Em")
STREETS = ("Lê Thánh Tông", "Trần Hưng Đạo", "Nguyễn Văn Cừ", "Hạ Long")


def load():
    """Add the organisation; flushes, the caller commits."""
    rng = random.Random(SEED)
    factories.org_settings(
        **factories.CENTRE,
        parent_agency="UBND thành phố Hạ Long",
        doc_prefix="TTHCC",
        recipients="UBND thành phố (b/c);\nCác phòng, ban chuyên môn;\nLưu: VT, TTHCC.",
        address="Tầng 1, Trụ sở Liên cơ quan số 3, thành phố Hạ Long",
        opening_hours="Sáng 7h30–11h30, chiều 13h30–17h00",
        retention_months=24,
        default_period_from=PERIOD[0],
        default_period_to=PERIOD[1],
    )
    # The organisation's own rubric (version 1, not the illustration: the columns' defaults).
    db.session.add(RubricVersion(year=2024, criteria=RUBRIC, note="Bộ tiêu chí dùng cho tệp mẫu."))
    departments = {code: factories.department(code, name) for code, name in DEPARTMENTS}
    procedures = []
    for field_name, note, dept_code, rows in FIELDS:
        field = factories.field(field_name, note)
        department = departments[dept_code]
        for code, name, in_force, receive, ret in rows:
            procedures.append(
                factories.procedure(
                    code, name, field, department, in_force, receive, ret, level="Cấp huyện"
                )
            )
    _dossiers(rng, procedures)
    _meeting(departments)
    db.session.flush()


def _dossiers(rng, procedures):
    serial = 1000
    for n in range(90):
        proc = procedures[rng.randrange(len(procedures))]
        received = date(2023, 12, 20) + timedelta(days=rng.randrange(300))
        by_post_in = proc.eligible_receive and rng.random() < 0.3
        channel = "bcci" if by_post_in else rng.choice(("truc_tiep", "truc_tuyen"))
        returned = return_channel = None
        if rng.random() < 0.8:
            returned = received + timedelta(days=rng.randrange(1, 20))
            by_post_out = proc.eligible_return and rng.random() < 0.4
            return_channel = "bcci" if by_post_out else rng.choice(("truc_tiep", "truc_tuyen"))
        dossier = factories.dossier(
            proc,
            received,
            channel,
            returned,
            return_channel,
            code=f"000.00.22.H56-{received:%y%m%d}-{n + 1:04d}",
        )
        for direction, channel_, when in (
            ("tiep_nhan", channel, received),
            ("tra_ket_qua", return_channel, returned),
        ):
            if channel_ != "bcci":
                continue
            serial += 7
            digits = f"{serial * 7919 % 10**8:08d}"
            db.session.add(
                Shipment(
                    tracking_number=f"RR{digits}{s10_check_digit(digits)}VN",
                    direction=direction,
                    dossier_id=dossier.id,
                    date=when,
                    recipient_name=rng.choice(NAMES),
                    address=f"Số {rng.randrange(1, 200)} đường {rng.choice(STREETS)}",
                    phone=f"09{rng.randrange(10**8):08d}",
                    fee=rng.choice((None, 25000, 32000)),
                )
            )
            db.session.flush()


def _meeting(departments):
    meeting = Meeting(
        date=date(2024, 9, 20),
        chair="Trần Văn Hùng",
        participants="Lãnh đạo Trung tâm; các phòng chuyên môn",
        conclusions="Tăng số hồ sơ trả kết quả qua BCCI ở lĩnh vực Hộ tịch.",
    )
    db.session.add(meeting)
    db.session.flush()
    for dept, description, deadline, status in (
        (
            "TP",
            "Niêm yết hướng dẫn nhận kết quả qua BCCI tại quầy Hộ tịch.",
            date(2024, 9, 30),
            "open",
        ),
        (
            "QLDT",
            "Rà soát thủ tục xây dựng đủ điều kiện tiếp nhận qua BCCI.",
            date(2024, 11, 15),
            "in_progress",
        ),
        ("TCKH", "Báo cáo kết quả tháng 9.", None, "done"),
    ):
        db.session.add(
            Task(
                meeting_id=meeting.id,
                department_id=departments[dept].id,
                description=description,
                deadline=deadline,
                status=status,
            )
        )
        db.session.flush()
