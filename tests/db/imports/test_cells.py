"""The Excel import's pure cell parsers (db/imports/cells.py) and header matching, as plain tables: no database.

The expected values are what officers write and what the import must read from it; the DB-backed journeys
(tests/db/test_imports.py) check the same parsers end to end in a real workbook.
"""

from datetime import date, datetime

import pytest

from db.imports import cells
from db.imports.cells import (
    COMMUNE_KINDS,
    DISTRICT_KINDS,
    GENDER_WORDS,
    PROVINCE_KINDS,
    ROLE_WORDS,
    VILLAGE_KIND_ALIASES,
    cell_text,
    exact_spelling,
    has_marks,
    is_empty,
    kind_prefix,
    name_parts,
    normalise,
    organisation_code,
    parse_birth_year,
    parse_date,
    phone_text,
    split_decision,
    strip_words,
)
from db.imports.workbook import header_key

JULY_1 = date(2022, 7, 1)


# ---- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        # dd/mm/yyyy and the other separators officers type
        ("01/07/2022", JULY_1),
        ("1/7/2022", JULY_1),
        ("01-07-2022", JULY_1),
        ("01.07.2022", JULY_1),
        ("01 / 07 / 2022", JULY_1),
        ("  01/07/2022  ", JULY_1),
        ("31/12/1999", date(1999, 12, 31)),
        # d.m.yy: a two-digit year is this century
        ("1.7.22", JULY_1),
        ("01/07/99", date(2099, 7, 1)),
        # ISO, with or without a time after it
        ("2022-07-01", JULY_1),
        ("2022-7-1", JULY_1),
        ("2022-07-01 00:00:00", JULY_1),
        ("2022-07-01T08:30", JULY_1),
        # real Excel dates and serial numbers (a date cell that lost its format)
        (datetime(2022, 7, 1, 15, 45), JULY_1),
        (JULY_1, JULY_1),
        (44743, JULY_1),
        (44743.0, JULY_1),
        (44743.75, JULY_1),
        (44562, date(2022, 1, 1)),
    ],
)
def test_parse_date_reads_what_officers_write(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "31/02/2022",  # no such day
        "01/13/2022",  # month 13: the day comes first
        "2022/07/01",  # year first needs dashes
        "1/7",
        "01/07/022",
        "hôm qua",
        "01/07/2022 sáng",
        "Quý III/2022",
        1990,  # a number far from Excel's day numbers
        19999,
        80001,
        -5,
        True,
    ],
)
def test_parse_date_refuses_anything_else(value):
    with pytest.raises(ValueError):  # noqa: PT011 - the message is checked below
        parse_date(value)


def test_parse_date_names_the_text_it_could_not_read():
    with pytest.raises(ValueError, match=r"^31/02/2022$"):
        parse_date("  31/02/2022 ")


# ---- years of birth, phones, plain text ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (1990, 1990),
        (1990.0, 1990),
        ("1990", 1990),
        (" 1990 ", 1990),
        (date(1990, 5, 2), 1990),
        (datetime(1990, 5, 2, 0, 0), 1990),
        ("02/05/1990", 1990),  # a date of birth where the year was asked
        ("2.5.1990", 1990),
        ("1990-05-02", 1990),
    ],
)
def test_birth_year_reads_a_year_or_a_date_of_birth(value, expected):
    assert parse_birth_year(value) == expected


@pytest.mark.parametrize("value", ["199x", "90", 90, 1990.5, 12345, "năm 1990", "31/02/1990", True])
def test_birth_year_refuses_what_is_not_a_year(value):
    with pytest.raises(ValueError):  # noqa: PT011
        parse_birth_year(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (905123456, "0905123456"),  # a number cell lost the leading zero
        (905123456.0, "0905123456"),
        (84905123456, "84905123456"),  # not nine digits: left as it is
        (2353123456, "2353123456"),
        ("0905123456", "0905123456"),
        ("0905 123 456", "0905 123 456"),  # spaces and +84 are the member rules' business
        ("+84 905 123 456", "+84 905 123 456"),
        ("  0905.123.456 ", "0905.123.456"),
        (None, None),
        ("", None),
    ],
)
def test_phone_text(value, expected):
    assert phone_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("  Nguyễn   Văn  A ", "Nguyễn Văn A"),
        (12.0, "12"),
        (12.5, "12.5"),
        (905, "905"),
        (True, "True"),
        (JULY_1, "01/07/2022"),
        (datetime(2022, 7, 1, 9, 0), "01/07/2022"),
    ],
)
def test_cell_text(value, expected):
    assert cell_text(value) == expected


@pytest.mark.parametrize(("value", "expected"), [(None, True), ("", True), (" \t", True), (0, False), ("0", False)])
def test_is_empty(value, expected):
    assert is_empty(value) is expected


# ---- organisations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # the labels the forms use
        ("Đoàn Thanh niên", ("youth_union", True)),
        ("UBND xã / công chức", ("commune_staff", True)),
        ("Trưởng thôn / Bí thư chi bộ", ("village_head", True)),
        ("Khác", ("other", True)),
        # what officers write instead: whole words, first match in ORG_KEYWORDS wins
        ("Đoàn TN xã", ("youth_union", True)),
        ("Bí thư Chi đoàn", ("youth_union", True)),
        ("VNPT Quảng Nam", ("telecom_post", True)),
        ("Bưu điện văn hóa xã", ("telecom_post", True)),
        ("Hội LHPN xã", ("women_union", True)),  # before "xã" (commune staff)
        ("Hội Nông dân", ("farmers_union", True)),
        ("CCB", ("veterans", True)),
        ("Công an xã", ("police", True)),
        ("Trưởng thôn", ("village_head", True)),
        ("Tổ dân phố 3", ("village_head", True)),
        ("Giáo viên", ("teacher", True)),
        ("Công chức Văn hóa - Xã hội", ("commune_staff", True)),
        ("UBND", ("commune_staff", True)),
        # not recognised: "other", and the caller knows it was a guess
        ("Trường THCS", ("other", False)),
        ("Nhà hàng Phú Mỹ", ("other", False)),
        ("Viettelecom", ("other", False)),  # "viettel" only as a whole word
    ],
)
def test_organisation_code(written, expected):
    assert organisation_code(written) == expected


# ---- a decision number with its date in the same cell ------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Số 125/QĐ-UBND ngày 01/7/2022", ("125/QĐ-UBND", JULY_1)),
        ("125/QĐ-UBND, ngày 01.07.2022", ("125/QĐ-UBND", JULY_1)),
        ("125/QĐ-UBND - 01/07/2022", ("125/QĐ-UBND", JULY_1)),
        ("125/QĐ-UBND; 01-07-2022", ("125/QĐ-UBND", JULY_1)),
        ("Số: 125/QĐ-UBND ngày: 01/07/2022.", ("125/QĐ-UBND", JULY_1)),
        ("SỐ 125/QĐ-UBND NGÀY 01/07/2022", ("125/QĐ-UBND", JULY_1)),
        ("  Số 125/QĐ-UBND ngày 01 / 07 / 2022  ", ("125/QĐ-UBND", JULY_1)),
        ("ngày 01/07/2022", (None, JULY_1)),  # only the date
        # no date in the cell, or not one that can be read: the text as written, and no date
        ("125/QĐ-UBND", ("125/QĐ-UBND", None)),
        ("12/2022/QĐ-UBND", ("12/2022/QĐ-UBND", None)),
        ("125/QĐ-UBND ngày 1/7/22", ("125/QĐ-UBND ngày 1/7/22", None)),  # a decision's year has four digits
        ("125/QĐ-UBND ngày 31/02/2022", ("125/QĐ-UBND ngày 31/02/2022", None)),
    ],
)
def test_split_decision(written, expected):
    assert split_decision(written) == expected


# ---- header cells --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Họ và tên", "full_name"),
        ("HO TEN", "full_name"),
        ("Họ và tên (ghi đầy đủ)", "full_name"),  # a note in brackets
        ("Họ tên [bắt buộc]", "full_name"),
        ("  họ   và TÊN  ", "full_name"),
        ("Số ĐT (*)", "phone"),
        ("SĐT", "phone"),
        ("Xã, phường, thị trấn", "commune"),
        ("Thôn/Khối phố/Tổ dân phố", "village"),
        ("Tên thôn", "village"),
        ("Tổ CNSCĐ", "team_name"),
        ("Số, ngày quyết định", "decision_no"),
        ("Ngày thành lập", "established_on"),
        ("Năm sinh", "birth_year"),
        ("Nam", "birth_male"),
        ("Nữ", "birth_female"),
        ("Họ và đệm", "family_name"),
        ("Tên", "given_name"),
        ("STT", "seq"),
        ("Tổ chức", "organisation"),
        ("Chức vụ", "position"),
        ("Vai trò", "role"),
        ("Ghi chú", "note"),
        ("Cột A", None),
        ("Báo cáo tháng 8", None),
        ("", None),
        (None, None),
        (123, None),
    ],
)
def test_header_key(header, expected):
    assert header_key(header) == expected


# ---- gender and role words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [("Nam", "male"), ("NỮ", "female"), ("nu", "female"), ("M", "male"), ("F", "female"), ("Không rõ", None)],
)
def test_gender_words(written, expected):
    assert GENDER_WORDS.get(normalise(written)) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [("Tổ trưởng", "leader"), ("Trưởng tổ", "leader"), ("Tổ phó", "deputy"), ("Phó tổ trưởng", "deputy"),
     ("Thành viên", "member"), ("TV", "member"), ("Ủy viên", "member"), ("Trưởng nhóm", None)],
)
def test_role_words(written, expected):
    assert ROLE_WORDS.get(normalise(written)) == expected


# ---- unit names: the kind in front, folded forms -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kinds", "expected"),
    [
        ("TT. Phú Thịnh", COMMUNE_KINDS, ("tt phu thinh", "Thị trấn", "phu thinh")),
        ("Thị trấn Phú Thịnh", COMMUNE_KINDS, ("thi tran phu thinh", "Thị trấn", "phu thinh")),
        ("Xã Tam Phước", COMMUNE_KINDS, ("xa tam phuoc", "Xã", "tam phuoc")),
        ("X. Tam Phuoc", COMMUNE_KINDS, ("x tam phuoc", "Xã", "tam phuoc")),
        ("P. Tân An", COMMUNE_KINDS, ("p tan an", "Phường", "tan an")),
        ("Đặc khu Lý Sơn", COMMUNE_KINDS, ("dac khu ly son", "Đặc khu", "ly son")),
        ("Tam Phước", COMMUNE_KINDS, ("tam phuoc", None, "tam phuoc")),
        ("Phước Hòa", COMMUNE_KINDS, ("phuoc hoa", None, "phuoc hoa")),  # "p" only as a word of its own
        ("Xã", COMMUNE_KINDS, ("xa", None, "xa")),  # a kind and no name
        ("H. Phú Ninh", DISTRICT_KINDS, ("h phu ninh", "Huyện", "phu ninh")),
        ("TX. Điện Bàn", DISTRICT_KINDS, ("tx dien ban", "Thị xã", "dien ban")),
        ("Quận 1", DISTRICT_KINDS, ("quan 1", "Quận", "1")),
        ("TP. Đà Nẵng", PROVINCE_KINDS, ("tp da nang", "Thành phố", "da nang")),
        ("Tỉnh Quảng Nam", PROVINCE_KINDS, ("tinh quang nam", "Tỉnh", "quang nam")),
    ],
)
def test_name_parts(text, kinds, expected):
    assert name_parts(text, kinds) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KP.3", ("kp 3", "Khối phố", "3", 1)),
        ("Khối phố 5", ("khoi pho 5", "Khối phố", "5", 2)),
        ("Tổ dân phố 5", ("to dan pho 5", "Tổ dân phố", "5", 3)),
        ("TDP 7", ("tdp 7", "Tổ dân phố", "7", 1)),
        ("Thôn Phú Mỹ", ("thon phu my", "Thôn", "phu my", 1)),
        ("Ấp 2", ("ap 2", "Ấp", "2", 1)),
        ("Phú Mỹ", ("phu my", None, "phu my", 0)),
        ("Thôn", ("thon", None, "thon", 0)),
    ],
)
def test_kind_prefix_of_villages(text, expected):
    assert kind_prefix(text, VILLAGE_KIND_ALIASES) == expected


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [("KP.3", 1, "3"), ("Tổ dân phố 5", 3, "5"), ("Thôn Phú Mỹ", 1, "Phú Mỹ"), ("Thôn", 1, "Thôn"),
     ("Phú Mỹ", 0, "Phú Mỹ"), (" Khối  phố  Đông ", 2, "Đông")],
)
def test_strip_words(text, count, expected):
    assert strip_words(text, count) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Xã, phường, thị trấn", "xa phuong thi tran"), ("  Số ĐT (*) ", "so dt"), ("Tổ CNSCĐ", "to cnscd"),
     ("Họ-và—tên", "ho va ten")],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("Hoà", "Hòa", True), ("Thuỵ", "Thụy", True), ("Tam Dân", "Tam Đàn", False), ("Tam Dân", "tam dân", True),
     ("Phú Mỹ", "Phu My", False), ("Khoẻ", "Khỏe", True)],
)
def test_exact_spelling_tells_diacritics_apart_but_not_tone_placement(a, b, same):
    assert (exact_spelling(a) == exact_spelling(b)) is same


@pytest.mark.parametrize(("text", "expected"), [("Phú Mỹ", True), ("phu my", False), ("Đông", True), ("D", False)])
def test_has_marks(text, expected):
    assert has_marks(text) is expected


def test_cells_module_reaches_no_database():
    """Pure parsers: nothing in db/imports/cells.py imports SQLAlchemy, the models or a session."""
    source = open(cells.__file__, encoding="utf-8").read()  # noqa: PTH123, SIM115
    assert "sqlalchemy" not in source and "db.models" not in source and "Session" not in source
