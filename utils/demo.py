"""The demo organisation: a city centre that reproduces the reference case exactly.

For 01/01/2024–30/09/2024: 299 procedures in force, 29 with postal activity (all in the fields
Tài chính – Kế hoạch and Xây dựng), 44.865 dossiers received, none by post, 120 results returned
by post, each with a shipment record. Everything comes from a seeded random generator, so two
machines load the same data; loading twice changes nothing.
"""

import random
from datetime import date, timedelta

from sqlalchemy import func, insert, select

from extensions import db
from models import (
    FIRST_UNIT_ID,
    Department,
    Dossier,
    Field,
    OrgSettings,
    Procedure,
    RubricVersion,
    Shipment,
    User,
)
from utils.figures import DEFAULT_RUBRIC
from utils.text import fold
from utils.validators import s10_check_digit

PERIOD_START = date(2024, 1, 1)
PERIOD_END = date(2024, 9, 30)
DOSSIERS_IN_PERIOD = 44865
POSTAL_RETURNS = 120
POSTAL_PROCEDURES = 29
PROCEDURES_IN_FORCE = 299
SEED = 20240921

DEMO_USERS = (
    # username, role, department code, full name
    ("quantri", "admin", None, "Phạm Quốc Khánh"),
    ("trungtam", "centre", None, "Lê Thị Thu Trang"),
    ("lanhdao", "leader", None, "Trần Văn Hùng"),
    ("tckh", "department", "TCKH", "Nguyễn Thị Lan"),
    ("qldt", "department", "QLDT", "Đỗ Minh Tuấn"),
)


def demo_password(username):
    """Demo passwords are printed by ``make run``; they exist only outside production."""
    return f"demo-{username}-2024"


DEPARTMENTS = (
    ("TCKH", "Phòng Tài chính – Kế hoạch"),
    ("QLDT", "Phòng Quản lý đô thị"),
    ("TP", "Phòng Tư pháp"),
    ("TNMT", "Phòng Tài nguyên và Môi trường"),
    ("LDTBXH", "Phòng Lao động – Thương binh và Xã hội"),
    ("VHTT", "Phòng Văn hóa và Thông tin"),
    ("YT", "Phòng Y tế"),
    ("GDDT", "Phòng Giáo dục và Đào tạo"),
    ("KT", "Phòng Kinh tế"),
    ("NV", "Phòng Nội vụ"),
    ("TTRA", "Thanh tra thành phố"),
    ("DT", "Phòng Dân tộc"),
)

# field, department, centre's note, postal (both, return, none), procedure base names
FIELDS = (
    (
        "Tài chính – Kế hoạch",
        "TCKH",
        "Làm được qua BCCI: tiếp nhận và trả kết quả.",
        "both",
        (
            "Đăng ký thành lập hộ kinh doanh",
            "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
            "Tạm ngừng hoạt động hộ kinh doanh",
            "Chấm dứt hoạt động hộ kinh doanh",
            "Cấp lại Giấy chứng nhận đăng ký hộ kinh doanh",
            "Đăng ký thành lập hợp tác xã",
            "Đăng ký thay đổi tên, địa chỉ trụ sở chính của hợp tác xã",
            "Đăng ký thành lập chi nhánh, văn phòng đại diện của hợp tác xã",
            "Giải thể tự nguyện hợp tác xã",
            "Cấp lại giấy chứng nhận đăng ký hợp tác xã",
            "Thẩm định quyết toán vốn dự án hoàn thành sử dụng vốn ngân sách cấp huyện",
            "Thẩm định báo cáo kinh tế - kỹ thuật đầu tư xây dựng",
            "Đăng ký mã số đơn vị có quan hệ với ngân sách",
            "Thẩm định phương án giá dịch vụ do cấp huyện quản lý",
            "Xác nhận tài sản công thuộc sở hữu toàn dân",
            "Thanh toán chi phí liên quan đến xử lý tài sản công",
            "Đề nghị tạm ứng vốn đầu tư công",
            "Thông báo thay đổi thông tin người quản lý hợp tác xã",
            "Đăng ký liên hiệp hợp tác xã",
            "Thẩm định chủ trương đầu tư dự án nhóm C",
        ),
    ),
    (
        "Xây dựng",
        "QLDT",
        "Làm được qua BCCI: trả giấy phép, tiếp nhận hồ sơ đề nghị.",
        "both",
        (
            "Cấp giấy phép xây dựng nhà ở riêng lẻ",
            "Cấp giấy phép xây dựng sửa chữa, cải tạo công trình",
            "Cấp giấy phép di dời công trình",
            "Điều chỉnh giấy phép xây dựng",
            "Gia hạn giấy phép xây dựng",
            "Cấp lại giấy phép xây dựng",
            "Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở",
            "Cấp giấy phép xây dựng có thời hạn",
            "Cấp giấy phép xây dựng công trình quảng cáo",
            "Thông báo khởi công xây dựng công trình",
            "Cung cấp thông tin về quy hoạch xây dựng",
            "Thẩm định nhiệm vụ quy hoạch chi tiết xây dựng",
            "Thẩm định đồ án quy hoạch chi tiết",
            "Cấp chứng chỉ hành nghề hoạt động xây dựng hạng III",
            "Cấp phép đào đường, vỉa hè",
            "Kiểm tra công tác nghiệm thu công trình xây dựng",
            "Cho thuê nhà ở công vụ",
            "Thỏa thuận đấu nối hạ tầng kỹ thuật",
            "Cấp giấy phép chặt hạ, dịch chuyển cây xanh",
        ),
    ),
    (
        "Giao thông vận tải",
        "QLDT",
        "Làm được qua BCCI.",
        "both",
        (
            "Cấp giấy phép thi công công trình trên đường bộ đang khai thác",
            "Chấp thuận xây dựng công trình thiết yếu trong phạm vi bảo vệ kết cấu hạ tầng giao thông",
            "Cấp giấy phép lưu hành xe quá tải trọng trên đường huyện",
            "Đăng ký phương tiện thủy nội địa",
            "Xóa đăng ký phương tiện thủy nội địa",
            "Công bố mở bến khách ngang sông",
            "Cấp giấy phép hoạt động bến thủy nội địa",
            "Đăng ký lại phương tiện thủy nội địa",
        ),
    ),
    (
        "Tư pháp – Hộ tịch",
        "TP",
        "Làm được qua BCCI với trích lục, bản sao.",
        "both",
        (
            "Đăng ký khai sinh có yếu tố nước ngoài",
            "Đăng ký kết hôn có yếu tố nước ngoài",
            "Đăng ký khai tử có yếu tố nước ngoài",
            "Đăng ký nhận cha, mẹ, con có yếu tố nước ngoài",
            "Thay đổi, cải chính, bổ sung thông tin hộ tịch",
            "Cấp bản sao trích lục hộ tịch",
            "Ghi vào Sổ hộ tịch việc kết hôn đã giải quyết ở nước ngoài",
            "Ghi vào Sổ hộ tịch việc ly hôn đã giải quyết ở nước ngoài",
            "Đăng ký lại khai sinh có yếu tố nước ngoài",
            "Chứng thực bản sao từ bản chính",
            "Chứng thực chữ ký trong giấy tờ, văn bản",
            "Chứng thực hợp đồng, giao dịch",
            "Cấp bản sao có chứng thực từ bản chính hợp đồng đã được chứng thực",
            "Đăng ký giám hộ có yếu tố nước ngoài",
            "Đăng ký khai sinh kết hợp nhận cha, mẹ, con",
            "Xác nhận thông tin hộ tịch",
            "Công nhận báo cáo viên pháp luật",
            "Thủ tục giải quyết yêu cầu bồi thường tại cơ quan trực tiếp quản lý người thi hành công vụ",
        ),
    ),
    (
        "Đất đai",
        "TNMT",
        "Chỉ trả thông báo thuế qua BCCI.",
        "return",
        (
            "Đăng ký biến động quyền sử dụng đất",
            "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
            "Chuyển mục đích sử dụng đất",
            "Tách thửa hoặc hợp thửa đất",
            "Cấp đổi Giấy chứng nhận quyền sử dụng đất",
            "Đính chính Giấy chứng nhận đã cấp",
            "Gia hạn sử dụng đất nông nghiệp",
            "Xóa đăng ký cho thuê quyền sử dụng đất",
            "Đăng ký thế chấp quyền sử dụng đất",
            "Xóa đăng ký thế chấp quyền sử dụng đất",
            "Giao đất, cho thuê đất không thông qua đấu giá",
            "Thu hồi đất ở của người sử dụng đất tự nguyện trả lại",
            "Chuyển nhượng quyền sử dụng đất",
            "Tặng cho quyền sử dụng đất",
            "Thừa kế quyền sử dụng đất",
            "Cấp lại Giấy chứng nhận do bị mất",
            "Đăng ký thay đổi tài sản gắn liền với đất",
            "Giải quyết tranh chấp đất đai cấp huyện",
            "Cung cấp dữ liệu đất đai",
            "Xác định lại diện tích đất ở",
        ),
    ),
    (
        "Môi trường",
        "TNMT",
        "Khó thực hiện qua BCCI do phải kiểm tra thực địa.",
        "none",
        (
            "Xác nhận đăng ký kế hoạch bảo vệ môi trường",
            "Đăng ký môi trường",
            "Cấp giấy phép môi trường cấp huyện",
            "Tham vấn báo cáo đánh giá tác động môi trường",
            "Xác nhận hoàn thành công trình bảo vệ môi trường",
            "Cấp phép khai thác nước dưới đất quy mô nhỏ",
        ),
    ),
    (
        "Lao động – Thương binh và Xã hội",
        "LDTBXH",
        "Khó thực hiện qua BCCI do phải xác minh tại chỗ.",
        "none",
        (
            "Giải quyết trợ cấp xã hội hằng tháng",
            "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
            "Xác định mức độ khuyết tật",
            "Cấp đổi giấy xác nhận khuyết tật",
            "Tiếp nhận đối tượng bảo trợ xã hội vào cơ sở trợ giúp xã hội",
            "Giải quyết chế độ trợ cấp một lần đối với người có công",
            "Cấp giấy chứng nhận thương binh",
            "Hỗ trợ học văn hóa, học nghề cho người chưa thành niên",
            "Đăng ký nội quy lao động",
            "Công nhận hộ nghèo, hộ cận nghèo phát sinh",
            "Cấp giấy phép thành lập cơ sở trợ giúp xã hội",
            "Trợ cấp khó khăn đột xuất",
            "Xác nhận người lao động đã làm việc tại doanh nghiệp",
        ),
    ),
    (
        "Văn hóa và Thông tin",
        "VHTT",
        "Làm được qua BCCI.",
        "both",
        (
            "Cấp giấy phép kinh doanh karaoke",
            "Cấp giấy phép điều chỉnh kinh doanh karaoke",
            "Công nhận gia đình văn hóa",
            "Công nhận tổ dân phố văn hóa",
            "Đăng ký tổ chức lễ hội",
            "Thông báo tổ chức lễ hội cấp huyện",
            "Cấp giấy chứng nhận đủ điều kiện kinh doanh dịch vụ trò chơi điện tử công cộng",
            "Cấp giấy phép tổ chức triển lãm",
            "Đăng ký hoạt động thư viện tư nhân",
            "Thông báo thành lập thư viện cộng đồng",
            "Cấp giấy phép hoạt động in",
            "Đăng ký hoạt động của cơ sở dịch vụ photocopy",
        ),
    ),
    (
        "Y tế",
        "YT",
        "Làm được qua BCCI.",
        "both",
        (
            "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
            "Cấp lại giấy chứng nhận an toàn thực phẩm",
            "Tiếp nhận bản tự công bố sản phẩm",
            "Cấp giấy xác nhận kiến thức an toàn thực phẩm",
            "Cấp chứng chỉ hành nghề dược",
            "Cấp giấy chứng nhận đủ điều kiện kinh doanh dược",
            "Xác nhận nội dung quảng cáo thực phẩm",
            "Công bố cơ sở đủ điều kiện tiêm chủng",
            "Cấp giấy phép hoạt động phòng khám",
            "Điều chỉnh giấy phép hoạt động phòng khám",
        ),
    ),
    (
        "Giáo dục và Đào tạo",
        "GDDT",
        "Làm được qua BCCI.",
        "both",
        (
            "Thành lập trường mầm non tư thục",
            "Cho phép trường mầm non hoạt động giáo dục",
            "Sáp nhập, chia, tách trường tiểu học",
            "Cho phép trung tâm học tập cộng đồng hoạt động",
            "Chuyển trường đối với học sinh trung học cơ sở",
            "Xét đặc cách tốt nghiệp trung học cơ sở",
            "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
            "Chỉnh sửa nội dung văn bằng, chứng chỉ",
            "Cấp phép dạy thêm ngoài nhà trường",
            "Thành lập nhóm trẻ độc lập tư thục",
            "Công nhận trường đạt chuẩn quốc gia",
            "Hỗ trợ ăn trưa cho trẻ mẫu giáo",
            "Xét duyệt chính sách hỗ trợ học sinh bán trú",
            "Giải thể trường trung học cơ sở",
        ),
    ),
    (
        "Công thương",
        "KT",
        "Làm được qua BCCI.",
        "both",
        (
            "Cấp giấy phép bán lẻ sản phẩm thuốc lá",
            "Cấp lại giấy phép bán lẻ sản phẩm thuốc lá",
            "Cấp giấy phép sản xuất rượu thủ công nhằm mục đích kinh doanh",
            "Cấp giấy phép bán lẻ rượu",
            "Cấp giấy chứng nhận đủ điều kiện cửa hàng bán lẻ LPG",
            "Cấp giấy phép kinh doanh bán lẻ xăng dầu",
            "Sửa đổi giấy phép bán lẻ rượu",
            "Cấp giấy chứng nhận đủ điều kiện an toàn thực phẩm cơ sở kinh doanh",
            "Thông báo tổ chức chương trình khuyến mại",
            "Đăng ký hoạt động bán hàng đa cấp tại địa phương",
        ),
    ),
    (
        "Nông nghiệp và Phát triển nông thôn",
        "KT",
        "Làm được qua BCCI.",
        "both",
        (
            "Cấp giấy chứng nhận kinh tế trang trại",
            "Hỗ trợ khôi phục sản xuất vùng bị thiệt hại do thiên tai",
            "Phê duyệt kế hoạch khuyến nông địa phương",
            "Cấp giấy phép cho các hoạt động trong phạm vi bảo vệ công trình thủy lợi",
            "Thẩm định, phê duyệt phương án ứng phó thiên tai",
            "Công nhận làng nghề",
            "Hỗ trợ đầu tư xây dựng phát triển thủy lợi nhỏ",
            "Xác nhận nguồn gốc thủy sản khai thác",
            "Đăng ký tàu cá",
            "Cấp văn bản chấp thuận khai thác thủy sản",
            "Chứng nhận cơ sở an toàn dịch bệnh động vật",
            "Phê duyệt hồ sơ hỗ trợ giống cây trồng",
        ),
    ),
    (
        "Nội vụ",
        "NV",
        "Khó thực hiện qua BCCI.",
        "none",
        (
            "Thành lập hội cấp huyện",
            "Phê duyệt điều lệ hội",
            "Chia, tách, sáp nhập hội",
            "Đổi tên hội",
            "Tự giải thể hội",
            "Công nhận ban vận động thành lập hội",
            "Xét tặng danh hiệu lao động tiên tiến",
            "Tặng giấy khen của Chủ tịch UBND cấp huyện",
            "Xét tặng danh hiệu tập thể lao động tiên tiến",
            "Tặng giấy khen về thành tích đột xuất",
            "Đăng ký hoạt động tín ngưỡng",
            "Thông báo tổ chức quyên góp của cơ sở tín ngưỡng",
            "Đề nghị tổ chức cuộc lễ ngoài cơ sở tôn giáo",
            "Thông báo thuyên chuyển chức sắc",
            "Đăng ký sinh hoạt tôn giáo tập trung",
            "Thông báo danh mục hoạt động tôn giáo",
            "Thi tuyển viên chức",
            "Xét tuyển viên chức",
            "Tiếp nhận vào viên chức",
        ),
    ),
    (
        "Thanh tra",
        "TTRA",
        "Không thực hiện qua BCCI do phải làm việc trực tiếp.",
        "none",
        (
            "Giải quyết khiếu nại lần đầu cấp huyện",
            "Giải quyết khiếu nại lần hai cấp huyện",
            "Giải quyết tố cáo tại cấp huyện",
            "Tiếp công dân tại cấp huyện",
            "Xử lý đơn tại cấp huyện",
            "Kê khai tài sản, thu nhập",
            "Xác minh tài sản, thu nhập",
        ),
    ),
    (
        "Dân tộc",
        "DT",
        "Khó thực hiện qua BCCI.",
        "none",
        (
            "Công nhận người có uy tín trong đồng bào dân tộc thiểu số",
            "Đưa ra khỏi danh sách người có uy tín",
            "Hỗ trợ đất ở cho hộ đồng bào dân tộc thiểu số nghèo",
            "Hỗ trợ nước sinh hoạt phân tán",
            "Xác nhận vùng đặc biệt khó khăn",
        ),
    ),
)

VARIANTS = (
    "",
    " (cấp lại)",
    " (điều chỉnh)",
    " (gia hạn)",
    " – trường hợp ủy quyền",
    " – thực hiện liên thông",
)

REASON_BY_FIELD = {
    "Môi trường": ("originals", "Cần kiểm tra thực địa trước khi giải quyết."),
    "Lao động – Thương binh và Xã hội": ("in_person", "Xác minh hoàn cảnh tại nơi cư trú."),
    "Nội vụ": ("originals", "Hồ sơ hội, tổ chức cần đối chiếu con dấu, chữ ký."),
    "Thanh tra": ("in_person", "Tiếp công dân, giải quyết khiếu nại phải làm việc trực tiếp."),
    "Dân tộc": ("in_person", "Xác minh tại cộng đồng dân cư."),
    "Đất đai": ("originals", "Nộp bản gốc Giấy chứng nhận; chỉ trả thông báo thuế qua BCCI."),
}

MONTH_WEIGHTS = (10.2, 8.6, 11.8, 11.4, 12.0, 11.6, 12.4, 11.0, 11.0)  # January … September

SURNAMES = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
)
MIDDLE = ("Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh", "Hữu", "Bảo")
GIVEN = (
    "An",
    "Bình",
    "Châu",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hòa",
    "Khoa",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trung",
    "Tú",
    "Vân",
    "Yến",
)
STREETS = (
    "Nguyễn Văn Cừ",
    "Trần Hưng Đạo",
    "Lê Thánh Tông",
    "Hạ Long",
    "Cao Thắng",
    "Giếng Đáy",
    "Bến Đoan",
    "Kênh Liêm",
    "Hoàng Quốc Việt",
)
WARDS = (
    "Hồng Hải",
    "Hồng Hà",
    "Cao Xanh",
    "Bãi Cháy",
    "Hà Khẩu",
    "Giếng Đáy",
    "Hà Tu",
    "Trần Hưng Đạo",
)


def is_loaded():
    """True when the demo organisation is already in the database."""
    return (
        db.session.execute(
            select(func.count()).select_from(Department).where(Department.code == "TCKH")
        ).scalar_one()
        > 0
    )


def load():
    """Load the demo organisation unless it is there; returns ``False`` when nothing was done.

    Adds and flushes; the caller commits.
    """
    if is_loaded():
        return False
    rng = random.Random(SEED)
    _settings()
    departments = _departments()
    procedures = _procedures(rng, departments)
    _dossiers(rng, procedures)
    _users(departments)
    _rubric()
    db.session.flush()
    return True


def _rubric():
    # The demo organisation's own rubric (its bands are the illustration's, so the reference
    # case scores 0 points on all three): a brief is issued only under an organisation's own.
    db.session.add(
        RubricVersion(
            year=2024,
            version=1,
            criteria=DEFAULT_RUBRIC,
            is_illustration=False,
            note="Bộ tiêu chí của đơn vị mẫu (các mức điểm như thang minh họa).",
        )
    )


def _settings():
    settings = db.session.get(OrgSettings, 1) or OrgSettings(id=1)
    settings.parent_agency = "UBND thành phố Hạ Long"
    settings.unit_name = "Trung tâm Hành chính công"
    settings.place_name = "Hạ Long"
    settings.signer_name = "Vũ Thị Thanh Hương"
    settings.signer_title = "GIÁM ĐỐC"
    settings.doc_prefix = "TTHCC"
    settings.recipients = (
        "UBND thành phố (b/c);\nCác phòng, ban chuyên môn;\nBưu điện thành phố;\nLưu: VT, TTHCC."
    )
    settings.address = (
        "Tầng 1, Trụ sở Liên cơ quan số 3, phường Hồng Hà, thành phố Hạ Long, tỉnh Quảng Ninh"
    )
    settings.opening_hours = "Sáng 7h30–11h30, chiều 13h30–17h00, từ thứ Hai đến thứ Sáu"
    settings.retention_months = 24
    # The reference case's period: every leaders' screen opens on it.
    settings.default_period_from = PERIOD_START
    settings.default_period_to = PERIOD_END
    db.session.add(settings)


def _departments():
    out = {}
    for code, name in DEPARTMENTS:
        dept = Department(code=code, name=name, name_folded=fold(name))
        db.session.add(dept)
        out[code] = dept
    db.session.flush()
    return out


def _procedures(rng, departments):
    """299 procedures in force plus 4 retired ones; returns the in-force list with weights."""
    names = []
    for field_name, dept_code, note, postal, bases in FIELDS:
        field = Field(name=field_name, name_folded=fold(field_name), postal_note=note)
        db.session.add(field)
        for base in bases:
            names.append((field, dept_code, postal, base))
    db.session.flush()
    # Variants fill the catalogue up to 303 names, spread over the fields in turn.
    pool = list(names)
    variant = 1
    while len(names) < PROCEDURES_IN_FORCE + 4:
        for field, dept_code, postal, base in pool:
            if len(names) >= PROCEDURES_IN_FORCE + 4:
                break
            names.append((field, dept_code, postal, base + VARIANTS[variant % len(VARIANTS)]))
        variant += 1
    codes = rng.sample(range(1000, 12999), len(names))
    procedures = []
    for index, ((field, dept_code, postal, name), number) in enumerate(zip(names, codes)):
        code = f"1.{number:06d}"
        if index % 9 == 4:
            code += ".000.00.00.H56"
        receive = postal == "both" and rng.random() < 0.85
        ret = postal in ("both", "return") and rng.random() < 0.9
        reason_code, reason_text = ("", "")
        if not (receive and ret):
            reason_code, reason_text = REASON_BY_FIELD.get(
                field.name, ("originals", "Thành phần hồ sơ có bản chính cần đối chiếu.")
            )
        proc = Procedure(
            code=code,
            name=name,
            name_folded=fold(name),
            field_id=field.id,
            department_id=departments[dept_code].id,
            level="Cấp huyện",
            in_force=index < PROCEDURES_IN_FORCE,
            eligible_receive=receive,
            eligible_return=ret,
            reason_code=reason_code,
            reason_text=reason_text,
        )
        db.session.add(proc)
        procedures.append(proc)
    db.session.flush()
    return procedures[:PROCEDURES_IN_FORCE]


def _allocate(total, weights):
    """Split ``total`` in proportion to ``weights`` by largest remainder."""
    scale = sum(weights)
    raw = [total * w / scale for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(weights)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _dossiers(rng, procedures, unit_id=FIRST_UNIT_ID):
    """The reference case's dossiers and return shipments, all of ``unit_id``."""
    # 45 procedures receive nothing in the period; the rest follow a long-tailed demand.
    active = procedures[:]
    rng.shuffle(active)
    postal_procs = _postal_procedures(active)
    idle = [p for p in active if p not in postal_procs][-45:]
    busy = [p for p in active if p not in idle]
    rows = _period_rows(rng, busy)
    # Dossiers before and after the period, so period edges matter.
    for _ in range(1900):
        rows.append(
            _dossier_row(rng, rng.choice(busy), date(2023, 12, 1) + timedelta(rng.randrange(31)))
        )
    for _ in range(2300):
        rows.append(
            _dossier_row(rng, rng.choice(busy), date(2024, 10, 1) + timedelta(rng.randrange(45)))
        )
    chosen = _returned_by_post(rng, rows, postal_procs)
    _number_codes(rows)
    for r in rows:
        r["unit_id"] = unit_id
    db.session.execute(insert(Dossier), rows)
    ids = dict(
        db.session.execute(select(Dossier.code, Dossier.id).where(Dossier.unit_id == unit_id)).all()
    )
    shipments = _return_shipments(rng, chosen, ids)
    for s in shipments:
        s["unit_id"] = unit_id
    db.session.execute(insert(Shipment), shipments)


def _postal_procedures(active):
    """The 29 procedures whose results go by post, made eligible to return by post."""
    postal_pool = [p for p in active if p.field.name in ("Tài chính – Kế hoạch", "Xây dựng")]
    postal_procs = postal_pool[:POSTAL_PROCEDURES]
    for p in postal_procs:
        p.eligible_return = True
        if p.eligible_receive:
            p.reason_code, p.reason_text = "", ""
    return postal_procs


def _period_rows(rng, busy, total=DOSSIERS_IN_PERIOD):
    """The period's ``total`` dossiers: each busy procedure's share of them, received month by
    month."""
    heavy_fields = {
        "Đất đai": 2.4,
        "Tư pháp – Hộ tịch": 2.2,
        "Tài chính – Kế hoạch": 1.6,
        "Xây dựng": 1.3,
    }
    weights = [
        heavy_fields.get(p.field.name, 1.0) * (1.0 / (1 + (i % 37)) ** 0.6 + 0.05)
        for i, p in enumerate(busy)
    ]
    per_proc = _allocate(total, weights)
    month_counts = _allocate(total, MONTH_WEIGHTS)
    # One receive date per dossier, month by month, shuffled against the procedures.
    dates = []
    for month, count in enumerate(month_counts, start=1):
        workdays = _workdays(2024, month)
        dates.extend(rng.choice(workdays) for _ in range(count))
    rng.shuffle(dates)
    proc_for = [p for p, n in zip(busy, per_proc) for _ in range(n)]
    return [_dossier_row(rng, proc, received) for proc, received in zip(proc_for, dates)]


def _workdays(year, month):
    first = date(year, month, 1)
    days = ((date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1)) - first).days
    return [first + timedelta(d) for d in range(days) if (first + timedelta(d)).weekday() < 5]


def _returned_by_post(rng, rows, postal_procs):
    """120 results returned by post, in the 29 postal procedures, each at least once."""
    in_period = [
        r
        for r in rows
        if r["return_date"]
        and PERIOD_START <= r["return_date"] <= PERIOD_END
        and PERIOD_START <= r["receive_date"] <= PERIOD_END
    ]
    by_proc = {}
    for r in in_period:
        by_proc.setdefault(r["procedure_id"], []).append(r)
    chosen = [by_proc[p.id][0] for p in postal_procs]
    rest = [r for p in postal_procs for r in by_proc[p.id][1:]]
    chosen.extend(rng.sample(rest, POSTAL_RETURNS - len(chosen)))
    for r in chosen:
        r["return_channel_src"] = r["return_channel"] = "bcci"
    return chosen


def _return_shipments(rng, chosen, ids):
    """A shipment record for each result returned by post, in code order."""
    shipments = []
    for serial, r in enumerate(sorted(chosen, key=lambda r: r["code"]), start=31824570):
        digits = f"{serial:08d}"
        shipments.append(
            {
                "tracking_number": f"RR{digits}{s10_check_digit(digits)}VN",
                "direction": "tra_ket_qua",
                "dossier_id": ids[r["code"]],
                "date": r["return_date"],
                "recipient_name": f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                "address": f"Số {rng.randrange(1, 200)}, đường {rng.choice(STREETS)}, phường {rng.choice(WARDS)}, thành phố Hạ Long",
                "phone": f"09{rng.randrange(10**7, 10**8)}",
                "fee": rng.choice((22000, 25000, 30000, 35000)),
            }
        )
    return shipments


def _dossier_row(rng, proc, received):
    channel = "truc_tuyen" if rng.random() < 0.38 else "truc_tiep"
    returned = received + timedelta(days=rng.randrange(2, 16))
    ret_channel = channel if rng.random() < 0.5 else "truc_tiep"
    if returned > date(2024, 11, 20):
        returned, ret_channel = None, None
    return {
        "procedure_id": proc.id,
        **Dossier.as_recorded(channel, received, ret_channel, returned),
    }


def _number_codes(rows, agency="000.00.22.H56"):
    """Dossier codes: the centre's agency code, the receive date, a daily sequence."""
    rows.sort(key=lambda r: r["receive_date"])
    sequence = {}
    for r in rows:
        day = r["receive_date"]
        sequence[day] = sequence.get(day, 0) + 1
        r["code"] = f"{agency}-{day:%y%m%d}-{sequence[day]:04d}"


def _users(departments):
    from blueprints.auth.services import hash_password

    for username, role, dept_code, full_name in DEMO_USERS:
        db.session.add(
            User(
                username=username,
                role=role,
                full_name=full_name,
                department_id=departments[dept_code].id if dept_code else None,
                password_hash=hash_password(demo_password(username)),
            )
        )
