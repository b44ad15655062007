"""Masking of citizens' personal data (utils/privacy.py) and Vietnamese phone numbers."""

import pytest

from utils.privacy import audit_safe, mask_address, mask_name, mask_phone
from utils.validators import is_vn_phone, normalise_phone


# Each mask with what it makes of a value.
MASKED = {
    mask_name: [
        ("Nguyễn Văn An", "Nguyễn V. A."),
        ("Trần Thị Thu Trang", "Trần T. T. T."),
        ("  Lê   Bình ", "Lê B."),
        ("Phạm", "Phạm"),
        ("đặng đức anh", "đặng Đ. A."),
        ("", ""),
        (None, ""),
    ],
    mask_phone: [
        ("0912345123", "09•• ••• 123"),
        ("091 234 5123", "09•• ••• 123"),
        ("+84912345123", "84•• ••• 123"),
        ("02033825678", "02•• ••• 678"),
        ("123", "•••"),
        ("", ""),
    ],
    mask_address: [
        ("Số 12, đường Trần Hưng Đạo, phường Hồng Hà, thành phố Hạ Long", "phường Hồng Hà"),
        ("Thôn 3, xã Thống Nhất, huyện Hoành Bồ", "xã Thống Nhất"),
        ("Khu 5, Thị trấn Trới, Quảng Ninh", "Thị trấn Trới"),
        ("12 Lê Lợi, P. Bãi Cháy", "P. Bãi Cháy"),
        ("12 Lê Lợi, Hạ Long", "•••"),
        ("", ""),
    ],
}


@pytest.mark.parametrize(
    "mask, value, masked",
    [
        pytest.param(mask, value, masked, id=f"{mask.__name__}-{i}")
        for mask, cases in MASKED.items()
        for i, (value, masked) in enumerate(cases)
    ],
)
def test_masks(mask, value, masked):
    assert mask(value) == masked


def test_audit_values_never_hold_personal_data():
    values = {"recipient_name": "Nguyễn Văn An", "phone": "0912345123", "address": "x", "fee": 1}
    assert audit_safe(values) == {
        "recipient_name": "Nguyễn V. A.",
        "phone": "09•• ••• 123",
        "address": "•••",
        "fee": 1,
    }
    # what the trail keeps reads the same through the masks again (a history shows it as kept)
    kept = audit_safe(
        {
            "recipient_name": "Trần Thị Bình",
            "phone": "0912345123",
            "address": "5 Lê Lợi, phường Hồng Gai, Hạ Long",
        }
    )
    assert (
        audit_safe(kept)
        == kept
        == {"recipient_name": "Trần T. B.", "phone": "09•• ••• 123", "address": "phường Hồng Gai"}
    )


@pytest.mark.parametrize(
    "phone, ok",
    [
        ("0912345678", True),
        ("091 234 5678", True),
        ("091.234.5678", True),
        ("+84 912 345 678", True),
        ("0356789012", True),
        ("02033825678", True),
        ("0112345678", False),
        ("091234567", False),
        ("09123456789", False),
        ("abc", False),
        ("", False),
    ],
)
def test_vn_phone(phone, ok):
    assert is_vn_phone(phone) is ok


def test_normalise_phone():
    assert normalise_phone("+84 912-345-678") == "0912345678"
