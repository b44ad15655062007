"""The province demo (``flask demo load --province``): thirty units of one province after the
reorganisation of 1 July 2025, one catalogue, and the reference case in one of them.

- The catalogue is the one-unit demo's (``utils.demo``), each procedure given a canonical level:
  most are the communes' (``xa``), some the province's (``tinh``), some both (``ca_hai``).
- Unit 1 (``HALONG``, the ward that took over the former city centre) holds exactly the one-unit
  demo's dossiers and shipments, from the same seeded generator: for 01/01/2024–30/09/2024 it
  handles 299 procedures (its level's, plus an addition for every province-level one, as the
  units migration gives the first unit), 29 with postal activity, 44.865 dossiers received, none
  by post, 120 results returned by post.
- The province's centre, a branch and a service point of it (level ``tinh``), and 26 wards,
  communes and special zones (level ``xa``), each with its own volume and postal habits: a few
  far ahead on reception and return by post, most behind. A few units add or remove procedures.
- Users: province-wide ones (an administrator, a leader, department staff) and some bound to a
  unit (``PROVINCE_USERS``, ``unit_users``), printed by ``flask demo logins``.
- Review meetings (``MEETINGS``): the province centre's two of 2024 and one of two units, with
  their conclusions and follow-up tasks for departments, some done, some under way, some not
  started; recorded through the meetings service, as a user records them.

The place names are those of a real province; the people, volumes and habits are invented.
Everything comes from seeded generators; loading twice changes nothing (``demo.is_loaded``).
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert, select

from extensions import db
from models import FIRST_UNIT_ID, Dossier, OrgSettings, Procedure, Shipment, Unit, UnitProcedure
from models import User
from utils import demo
from utils.text import fold
from utils.units import create_unit, procedure_level_from_text
from utils.validators import s10_check_digit

PROVINCE = "Quảng Ninh"
REFERENCE_UNIT = "HALONG"


@dataclass(frozen=True)
class Place:
    """A unit of the demo province: its code, name, level, kind, the dossiers it receives in
    the reference period, and its postal habits (a key of ``POSTAL_HABITS``)."""

    code: str
    name: str
    level: str
    kind: str
    dossiers: int
    habit: str


# The reference unit first (unit 1); its volume and habits are the reference case's.
PLACES = (
    Place(REFERENCE_UNIT, "Phường Hạ Long", "xa", "trung_tam", demo.DOSSIERS_IN_PERIOD, ""),
    Place("TINH", "Trung tâm Phục vụ hành chính công tỉnh", "tinh", "trung_tam", 4500, "rising"),
    Place("TINH-MONGCAI", "Chi nhánh Móng Cái", "tinh", "chi_nhanh", 900, "behind"),
    Place("TINH-UONGBI", "Điểm phục vụ Uông Bí", "tinh", "diem", 600, "behind"),
    Place("BAICHAY", "Phường Bãi Cháy", "xa", "trung_tam", 3600, "ahead"),
    Place("HONGGAI", "Phường Hồng Gai", "xa", "trung_tam", 3050, "rising"),
    Place("CAOXANH", "Phường Cao Xanh", "xa", "trung_tam", 2150, "behind"),
    Place("HATU", "Phường Hà Tu", "xa", "trung_tam", 1800, "behind"),
    Place("HALAM", "Phường Hà Lầm", "xa", "trung_tam", 1950, "behind"),
    Place("VIETHUNG", "Phường Việt Hưng", "xa", "trung_tam", 1300, "behind"),
    Place("TUANCHAU", "Phường Tuần Châu", "xa", "trung_tam", 1100, "behind"),
    Place("HOANHBO", "Phường Hoành Bồ", "xa", "trung_tam", 1450, "idle"),
    Place("CAMPHA", "Phường Cẩm Phả", "xa", "trung_tam", 3400, "ahead"),
    Place("QUANGHANH", "Phường Quang Hanh", "xa", "trung_tam", 1900, "behind"),
    Place("CUAONG", "Phường Cửa Ông", "xa", "trung_tam", 1700, "behind"),
    Place("MONGDUONG", "Phường Mông Dương", "xa", "trung_tam", 1050, "idle"),
    Place("UONGBI", "Phường Uông Bí", "xa", "trung_tam", 3250, "ahead"),
    Place("VANGDANH", "Phường Vàng Danh", "xa", "trung_tam", 1200, "behind"),
    Place("YENTU", "Phường Yên Tử", "xa", "trung_tam", 950, "behind"),
    Place("DONGTRIEU", "Phường Đông Triều", "xa", "trung_tam", 2600, "rising"),
    Place("MAOKHE", "Phường Mạo Khê", "xa", "trung_tam", 2050, "behind"),
    Place("QUANGYEN", "Phường Quảng Yên", "xa", "trung_tam", 2400, "behind"),
    Place("MONGCAI1", "Phường Móng Cái 1", "xa", "trung_tam", 2250, "behind"),
    Place("QUANGHA", "Xã Quảng Hà", "xa", "trung_tam", 1150, "behind"),
    Place("DAMHA", "Xã Đầm Hà", "xa", "trung_tam", 850, "idle"),
    Place("TIENYEN", "Xã Tiên Yên", "xa", "trung_tam", 1000, "behind"),
    Place("BACHE", "Xã Ba Chẽ", "xa", "trung_tam", 450, "idle"),
    Place("BINHLIEU", "Xã Bình Liêu", "xa", "trung_tam", 550, "behind"),
    Place("VANDON", "Đặc khu Vân Đồn", "xa", "trung_tam", 1350, "ahead"),
    Place("COTO", "Đặc khu Cô Tô", "xa", "trung_tam", 300, "behind"),
)

# habit: (share of the postal-eligible procedures it handles that it uses the post for, share
# of their dossiers received by post, share of their results returned by post)
POSTAL_HABITS = {
    "ahead": (0.75, 0.3, 0.45),
    "rising": (0.5, 0.18, 0.3),
    "behind": (0.1, 0.01, 0.05),
    "idle": (0.03, 0.0, 0.03),
}

# The canonical level of the catalogue's procedures: by field, then by the start of the name;
# the rest are the communes'.
PROVINCE_FIELDS = ("Môi trường", "Thanh tra")
PROVINCE_NAMES = (
    "Thẩm định",
    "Cấp chứng chỉ hành nghề",
    "Thành lập",
    "Giải thể",
    "Cấp giấy phép hoạt động",
    "Công nhận trường",
)
BOTH_NAMES = (
    "Chứng thực",
    "Cấp bản sao",
    "Đăng ký khai sinh",
    "Đăng ký kết hôn",
    "Đăng ký biến động",
    "Xác nhận",
)
LEVEL_TEXT = {"tinh": "Cấp tỉnh", "xa": "Cấp xã", "ca_hai": "Cấp tỉnh, Cấp xã"}

# A few units' exceptions to their level (names, variants included): island special zones keep
# two province-level procedures; mountain communes have no inland waterway or fishing boats.
WATERWAYS = (
    "Đăng ký phương tiện thủy nội địa",
    "Xóa đăng ký phương tiện thủy nội địa",
    "Đăng ký lại phương tiện thủy nội địa",
    "Đăng ký tàu cá",
)
EXCEPTIONS = {
    "VANDON": (True, ("Cấp giấy phép hoạt động bến thủy nội địa", "Cấp giấy phép môi trường")),
    "COTO": (True, ("Cấp giấy phép hoạt động bến thủy nội địa",)),
    "BACHE": (False, WATERWAYS),
    "BINHLIEU": (False, WATERWAYS),
}
# A unit that received a few dossiers of a procedure it does not handle (listed for review).
STRAY = ("TIENYEN", 3)

PROVINCE_DEPARTMENTS = {
    "TCKH": "Sở Tài chính",
    "QLDT": "Sở Xây dựng",
    "TP": "Sở Tư pháp",
    "TNMT": "Sở Nông nghiệp và Môi trường",
    "LDTBXH": "Sở Nội vụ – lĩnh vực lao động, người có công",
    "VHTT": "Sở Văn hóa, Thể thao và Du lịch",
    "YT": "Sở Y tế",
    "GDDT": "Sở Giáo dục và Đào tạo",
    "KT": "Sở Công Thương",
    "NV": "Sở Nội vụ",
    "TTRA": "Thanh tra tỉnh",
    "DT": "Sở Dân tộc và Tôn giáo",
}

# username, role, department code, unit code (None: province-wide or department), full name
PROVINCE_USERS = (
    ("quantri", "admin", None, None, "Phạm Quốc Khánh"),
    ("lanhdao", "leader", None, None, "Trần Văn Hùng"),
    ("tckh", "department", "TCKH", None, "Nguyễn Thị Lan"),
    ("qldt", "department", "QLDT", None, "Đỗ Minh Tuấn"),
    ("trungtam", "centre", None, REFERENCE_UNIT, "Lê Thị Thu Trang"),
    ("lanhdao.halong", "leader", None, REFERENCE_UNIT, "Hoàng Minh Đức"),
    ("quantri.halong", "admin", None, REFERENCE_UNIT, "Bùi Thị Ngọc Hà"),
)
TRACKING_FROM = 40_000_000

# Review meetings: unit code, date, chair, participants, conclusions, the username who records
# it, and its tasks: (department code, description, deadline, status, the department's note).
MEETINGS = (
    (
        "TINH",
        date(2024, 4, 12),
        "Đặng Văn Thịnh, Phó Chủ tịch UBND tỉnh",
        "Lãnh đạo các sở, ngành; Bưu điện tỉnh; Trung tâm Phục vụ hành chính công tỉnh, các chi "
        "nhánh và điểm phục vụ",
        "Quý I/2024, hồ sơ tiếp nhận và trả kết quả qua dịch vụ bưu chính công ích còn rất ít; "
        "nhiều thủ tục đủ điều kiện chưa phát sinh hồ sơ nào qua bưu chính. Các sở rà soát danh "
        "mục thủ tục tiếp nhận, trả kết quả qua BCCI của ngành mình; Trung tâm phối hợp Bưu điện "
        "tỉnh hướng dẫn người dân ngay tại quầy; báo cáo kết quả tại phiên họp sơ kết 6 tháng.",
        "tt.tinh",
        (
            (
                "TP",
                "Rà soát, trình công bố bổ sung các thủ tục chứng thực, hộ tịch tiếp nhận và "
                "trả kết quả qua BCCI",
                date(2024, 5, 31),
                "done",
                "Đã trình UBND tỉnh công bố bổ sung 6 thủ tục.",
            ),
            (
                "TNMT",
                "Rà soát các thủ tục đất đai đủ điều kiện trả kết quả qua BCCI, đề xuất danh mục",
                date(2024, 6, 30),
                "in_progress",
                "Đã rà soát 12 thủ tục, đang lấy ý kiến Bưu điện tỉnh.",
            ),
            (
                "TCKH",
                "Hướng dẫn các đơn vị về cước dịch vụ BCCI đối với hồ sơ đăng ký doanh nghiệp",
                date(2024, 5, 15),
                "done",
                "Đã ban hành văn bản hướng dẫn.",
            ),
        ),
    ),
    (
        "TINH",
        date(2024, 7, 15),
        "Đặng Văn Thịnh, Phó Chủ tịch UBND tỉnh",
        "Lãnh đạo các sở, ngành; Bưu điện tỉnh; Trung tâm Phục vụ hành chính công tỉnh; đại "
        "diện UBND các phường, xã, đặc khu",
        "Sáu tháng đầu năm 2024, kết quả trả qua BCCI tăng nhưng chưa đạt chỉ tiêu; tiếp nhận "
        "qua BCCI hầu như chưa phát sinh ở các phường, xã. Các sở tăng cường tuyên truyền, niêm "
        "yết thủ tục tiếp nhận qua BCCI tại các đơn vị; Trung tâm tổng hợp danh sách đơn vị "
        "chậm, báo cáo UBND tỉnh trong tháng 10/2024.",
        "tt.tinh",
        (
            (
                "QLDT",
                "Niêm yết, tuyên truyền việc tiếp nhận hồ sơ cấp giấy phép xây dựng qua BCCI tại "
                "các đơn vị",
                date(2024, 9, 30),
                "open",
                "",
            ),
            (
                "TNMT",
                "Phối hợp Bưu điện tỉnh thí điểm trả kết quả đăng ký biến động đất đai qua BCCI "
                "tại ba phường",
                date(2024, 10, 31),
                "in_progress",
                "Đã thống nhất quy trình với Bưu điện tỉnh, chọn Bãi Cháy, Hồng Gai, Cẩm Phả.",
            ),
            (
                "LDTBXH",
                "Rà soát các thủ tục chính sách người có công đủ điều kiện tiếp nhận qua BCCI",
                date(2024, 8, 31),
                "done",
                "Đề xuất bổ sung 4 thủ tục.",
            ),
        ),
    ),
    (
        REFERENCE_UNIT,
        date(2024, 6, 24),
        "Ngô Thị Bích Hạnh, Chủ tịch UBND phường",
        "Trung tâm Phục vụ hành chính công phường; công chức tư pháp – hộ tịch, địa chính; Bưu "
        "điện phường",
        "Phường chưa tiếp nhận hồ sơ nào qua dịch vụ bưu chính công ích; trả kết quả qua BCCI "
        "mới có ở một số ít thủ tục. Bố trí bàn hướng dẫn của Bưu điện tại Trung tâm; đề nghị "
        "các sở hướng dẫn quy trình tiếp nhận qua BCCI cho công chức một cửa.",
        "trungtam",
        (
            (
                "TP",
                "Hướng dẫn phường quy trình tiếp nhận hồ sơ chứng thực, hộ tịch qua BCCI",
                date(2024, 7, 31),
                "done",
                "Đã tập huấn cho công chức một cửa ngày 18/7/2024.",
            ),
            (
                "TNMT",
                "Hỗ trợ phường trả kết quả đăng ký đất đai qua BCCI",
                date(2024, 8, 31),
                "open",
                "",
            ),
        ),
    ),
    (
        "CAOXANH",
        date(2024, 8, 20),
        "Vương Minh Khôi, Phó Chủ tịch UBND phường",
        "Trung tâm Phục vụ hành chính công phường; Bưu điện phường",
        "Tỷ lệ hồ sơ qua BCCI của phường thuộc nhóm thấp nhất tỉnh. Công chức một cửa hỏi người "
        "dân có muốn nhận kết quả qua bưu điện ngay khi tiếp nhận hồ sơ; đề nghị các sở tập "
        "huấn nghiệp vụ trong tháng 9.",
        "tt.caoxanh",
        (
            (
                "NV",
                "Tập huấn cho công chức một cửa phường về tiếp nhận, trả kết quả qua BCCI",
                date(2024, 9, 15),
                "in_progress",
                "Đã có kế hoạch tập huấn.",
            ),
            (
                "TP",
                "Cung cấp mẫu hướng dẫn người dân gửi hồ sơ chứng thực qua bưu điện",
                date(2024, 9, 30),
                "open",
                "",
            ),
        ),
    ),
)

SEED = demo.SEED + 7


# Units with a centre staff login (``tt.<code>``) besides the reference unit: the province's
# centre and branch, those ahead, rising and a few behind (each password hash costs a tenth of a
# second of the load).
STAFFED = (
    "TINH",
    "TINH-MONGCAI",
    "BAICHAY",
    "CAMPHA",
    "UONGBI",
    "VANDON",
    "HONGGAI",
    "DONGTRIEU",
    "CAOXANH",
    "COTO",
)


def unit_users():
    """The users bound to one unit: the reference unit's (``PROVINCE_USERS``) and a centre
    staff member of each ``STAFFED`` unit, with invented names."""
    rng = random.Random(SEED)
    users = [u for u in PROVINCE_USERS if u[3]]
    for code in STAFFED:
        name = f"{rng.choice(demo.SURNAMES)} {rng.choice(demo.MIDDLE)} {rng.choice(demo.GIVEN)}"
        users.append((f"tt.{code.lower()}", "centre", None, code, name))
    return users


def logins():
    """Every demo login of the province: (username, role, department code, unit code or None),
    the province-wide ones first."""
    wide = [u for u in PROVINCE_USERS if not u[3]]
    return [u[:4] for u in (*wide, *unit_users())]


def is_loaded():
    """True when the province demo is in the database (its province centre exists)."""
    return (
        db.session.execute(select(Unit.id).where(Unit.code == PLACES[1].code)).first() is not None
    )


def load():
    """Load the province demo unless a demo is there; returns ``False`` when nothing was done.

    Adds and flushes; the caller commits.
    """
    if demo.is_loaded():
        return False
    # The reference unit's data, drawn exactly as the one-unit demo draws it.
    rng = random.Random(demo.SEED)
    demo._settings()
    departments = demo._departments()
    procedures = demo._procedures(rng, departments)
    demo._dossiers(rng, procedures, FIRST_UNIT_ID)
    for code, name in PROVINCE_DEPARTMENTS.items():
        departments[code].name, departments[code].name_folded = name, fold(name)
    catalogue = _levels()
    units = _units()
    _exceptions(units, catalogue)
    _other_dossiers(units, catalogue)
    _users(departments, units)
    _meetings(departments, units)
    demo._rubric()
    db.session.flush()
    return True


def _levels():
    """Each procedure's canonical level (and the free-text level it is read from); the
    reference unit gets an addition for every province-level one. Returns every procedure."""
    catalogue = db.session.execute(select(Procedure).order_by(Procedure.id)).scalars().all()
    for proc in catalogue:
        if proc.field.name in PROVINCE_FIELDS or proc.name.startswith(PROVINCE_NAMES):
            level = "tinh"
        elif proc.name.startswith(BOTH_NAMES):
            level = "ca_hai"
        else:
            level = "xa"
        proc.level = LEVEL_TEXT[level]
        proc.unit_level = procedure_level_from_text(proc.level)
        if proc.unit_level == "tinh":
            db.session.add(UnitProcedure(unit_id=FIRST_UNIT_ID, procedure_id=proc.id, handled=True))
    return catalogue


def _units():
    """The thirty units with their settings, in ``PLACES`` order (unit 1 renamed)."""
    first = db.session.get(Unit, FIRST_UNIT_ID)
    reference = PLACES[0]
    first.code, first.name, first.name_folded = reference.code, reference.name, fold(reference.name)
    first.level, first.kind = reference.level, reference.kind
    units = [first]
    for place in PLACES[1:]:
        units.append(create_unit(place.code, place.name, place.level, place.kind))
    db.session.flush()
    rng = random.Random(SEED + 1)
    for place, unit in zip(PLACES, units):
        _settings(db.session.get(OrgSettings, unit.id), place, rng)
    return units


def _settings(settings, place, rng):
    """A unit's document names, signer, public list address and hours, in the demo period."""
    local = place.name.split(" ", 1)[1] if place.level == "xa" else PROVINCE
    if place.level == "tinh":
        settings.parent_agency = f"UBND tỉnh {PROVINCE}"
        settings.unit_name = (
            f"Trung tâm Phục vụ hành chính công tỉnh {PROVINCE}"
            if place.kind == "trung_tam"
            else f"{place.name} – Trung tâm Phục vụ hành chính công tỉnh"
        )
    else:
        settings.parent_agency = f"UBND {place.name[0].lower()}{place.name[1:]}"
        settings.unit_name = f"Trung tâm Phục vụ hành chính công {settings.parent_agency[5:]}"
    settings.place_name = local
    settings.signer_name = (
        f"{rng.choice(demo.SURNAMES)} {rng.choice(demo.MIDDLE)} {rng.choice(demo.GIVEN)}"
    )
    settings.signer_title = "GIÁM ĐỐC"
    settings.doc_prefix = "TTPVHCC"
    settings.recipients = f"{settings.parent_agency} (b/c);\nBưu điện tỉnh {PROVINCE};\nLưu: VT."
    settings.address = f"Số {rng.randrange(1, 300)}, đường {rng.choice(demo.STREETS)}, {local}"
    settings.opening_hours = "Sáng 7h30–11h30, chiều 13h30–17h00, từ thứ Hai đến thứ Sáu"
    settings.retention_months = 24
    settings.default_period_from = demo.PERIOD_START
    settings.default_period_to = demo.PERIOD_END


def _exceptions(units, catalogue):
    """The few units' additions and removals (``EXCEPTIONS``)."""
    by_code = {u.code: u for u in units}
    for code, (handled, names) in EXCEPTIONS.items():
        unit = by_code[code]
        for proc in catalogue:
            own = proc.unit_level in (unit.level, "ca_hai")
            if proc.name.startswith(names) and own != handled:
                db.session.add(
                    UnitProcedure(unit_id=unit.id, procedure_id=proc.id, handled=handled)
                )
    db.session.flush()


def handled_procedures(unit, catalogue):
    """The procedures in force ``unit`` handles (as ``utils.units.handled_by`` says in SQL)."""
    exceptions = dict(
        db.session.execute(
            select(UnitProcedure.procedure_id, UnitProcedure.handled).where(
                UnitProcedure.unit_id == unit.id
            )
        ).all()
    )
    return [
        p
        for p in catalogue
        if p.in_force and exceptions.get(p.id, p.unit_level in (unit.level, "ca_hai"))
    ]


def _other_dossiers(units, catalogue):
    """Every unit but the reference one: its dossiers over the same months, and a shipment for
    each dossier received or returned by post."""
    rows, postal = [], []
    for number, (place, unit) in enumerate(zip(PLACES[1:], units[1:]), start=1):
        rng = random.Random(f"{SEED}-{place.code}")
        handled = handled_procedures(unit, catalogue)
        unit_rows = _unit_rows(rng, place, handled)
        if place.code == STRAY[0]:
            stray = next(p for p in catalogue if p.in_force and p not in handled)
            unit_rows += [
                demo._dossier_row(rng, stray, date(2024, 5, 6) + timedelta(days=7 * i))
                for i in range(STRAY[1])
            ]
        demo._number_codes(unit_rows, f"000.{number:02d}.31.H56")
        for r in unit_rows:
            r["unit_id"] = unit.id
        rows.extend(unit_rows)
    db.session.execute(insert(Dossier), rows)
    ids = dict(
        db.session.execute(
            select(Dossier.code, Dossier.id).where(Dossier.unit_id != FIRST_UNIT_ID)
        ).all()
    )
    rng = random.Random(SEED + 2)
    names = {u.id: u.name for u in units}
    for r in rows:
        for direction, channel, when in (
            ("tiep_nhan", "receive_channel", "receive_date"),
            ("tra_ket_qua", "return_channel", "return_date"),
        ):
            if r[channel] == "bcci":
                postal.append(_shipment(rng, len(postal), direction, r, ids, names, r[when]))
    db.session.execute(insert(Shipment), postal)


def _unit_rows(rng, place, handled):
    """A unit's dossiers: ``place.dossiers`` in the reference period over most of the
    procedures it handles, some before and after it, and its postal habits."""
    busy = handled[:]
    rng.shuffle(busy)
    busy = busy[: max(10, len(busy) * 4 // 5)]
    rows = demo._period_rows(rng, busy, place.dossiers)
    edges = (
        (date(2023, 12, 1), 31, place.dossiers * 1900 // demo.DOSSIERS_IN_PERIOD),
        (date(2024, 10, 1), 45, place.dossiers * 2300 // demo.DOSSIERS_IN_PERIOD),
    )
    for start, days, count in edges:
        rows += [
            demo._dossier_row(rng, rng.choice(busy), start + timedelta(rng.randrange(days)))
            for _ in range(count)
        ]
    share, receive, ret = POSTAL_HABITS[place.habit]
    eligible = [p for p in handled if p.eligible_receive or p.eligible_return]
    chosen = {p.id: p for p in rng.sample(eligible, round(len(eligible) * share))}
    for r in rows:
        proc = chosen.get(r["procedure_id"])
        if proc is None:
            continue
        if proc.eligible_receive and rng.random() < receive:
            r["receive_channel_src"] = r["receive_channel"] = "bcci"
        if r["return_date"] and proc.eligible_return and rng.random() < ret:
            r["return_channel_src"] = r["return_channel"] = "bcci"
    return rows


def _shipment(rng, index, direction, row, ids, unit_names, when):
    digits = f"{TRACKING_FROM + index:08d}"
    place = unit_names[row["unit_id"]]
    return {
        "tracking_number": f"{'EE' if direction == 'tiep_nhan' else 'RR'}{digits}"
        f"{s10_check_digit(digits)}VN",
        "direction": direction,
        "dossier_id": ids[row["code"]],
        "unit_id": row["unit_id"],
        "date": when,
        "recipient_name": f"{rng.choice(demo.SURNAMES)} {rng.choice(demo.MIDDLE)} "
        f"{rng.choice(demo.GIVEN)}",
        "address": f"Số {rng.randrange(1, 200)}, đường {rng.choice(demo.STREETS)}, "
        f"{place}, tỉnh {PROVINCE}",
        "phone": f"09{rng.randrange(10**7, 10**8)}",
        "fee": rng.choice((22000, 25000, 30000, 35000)),
    }


def _users(departments, units):
    from blueprints.auth.services import hash_password

    unit_ids = {u.code: u.id for u in units}
    wide = [u for u in PROVINCE_USERS if not u[3]]
    for username, role, dept_code, unit_code, full_name in (*wide, *unit_users()):
        db.session.add(
            User(
                username=username,
                role=role,
                full_name=full_name,
                department_id=departments[dept_code].id if dept_code else None,
                unit_id=unit_ids[unit_code] if unit_code else None,
                province_wide=unit_code is None and role != "department",
                password_hash=hash_password(demo.demo_password(username)),
            )
        )


def _meetings(departments, units):
    """The review meetings (``MEETINGS``), recorded and followed up through the meetings
    service (a task's status by its department's user, when the department has one)."""
    from blueprints.meetings import services as meetings

    users = {u.username: u for u in db.session.execute(select(User)).scalars()}
    staff = {u.department_id: u for u in users.values() if u.department_id is not None}
    unit_ids = {u.code: u.id for u in units}
    for code, day, chair, participants, conclusions, recorder, tasks in MEETINGS:
        meeting = meetings.create_meeting(
            date_=day,
            chair=chair,
            participants=participants,
            conclusions=conclusions,
            user=users[recorder],
            unit_id=unit_ids[code],
        )
        for dept_code, description, deadline, status, note in tasks:
            department = departments[dept_code]
            task = meetings.add_task(
                meeting,
                department_id=department.id,
                description=description,
                deadline=deadline,
                user=users[recorder],
            )
            if status != "open":
                meetings.set_task_status(task, status, note, user=staff.get(department.id))
