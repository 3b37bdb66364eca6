"""Resource limits (db/limits.py, "Resources"): the whole class of small files that are huge once unpacked or
decoded, generated here, and the photo files' life: stored without EXIF, one thumbnail, removed with their report."""

import hashlib
import io
import re
import struct
from datetime import date
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from bench.hostile import LAST_ROW, NS, encoded, formatted_rows, jpeg_declaring, png_bilevel, sheet, table, webp_declaring, workbook
from db import activities, imports, limits, photos
from db.activities import ActivityInput
from db.auth import actor_of
from db.errors import UserError
from db.imports import plan_import, read_workbook
from db.models import Activity
from tests import factories
from tests.factories import count_rows

TODAY = date(2026, 11, 20)

HEADER = ["STT", "Tỉnh", "Huyện", "Xã", "Thôn", "Tên tổ", "Số quyết định", "Ngày thành lập"]


def team_rows(n: int) -> list[list]:
    """A header and `n` new teams in new villages of Xã Tam Phước (create_tree's)."""
    return [HEADER] + [[i, "Quảng Nam", "Phú Ninh", "Tam Phước", f"Thôn Mới {i}", f"Tổ CNSCĐ thôn Mới {i}",
                        f"{i}/QĐ-UBND", "01/07/2022"] for i in range(1, n + 1)]


def test_a_cell_at_the_last_row_of_twenty_sheets_makes_one_row_each_not_a_million():
    """The issue's 15.6 KB bomb, with a header on each sheet so that its rows are read: before, every row up
    to 1,048,576 was made (124 s, 2.3 GB); now only the rows holding a value."""
    data = workbook([(f"Xã {i}", sheet([*table([["Xã", "Thôn"]]), *table([["Tam Phước", "Thôn cuối"]], start=LAST_ROW)]))
                     for i in range(20)])
    assert len(data) < 50_000
    book = read_workbook(data)
    assert len(book.sheets) == 20
    assert [[(row, values) for row, values in s.rows] for s in book.sheets] == [[(LAST_ROW, ("Tam Phước", "Thôn cuối"))]] * 20


@pytest.mark.parametrize("dimension", ["A1:H1048576", None], ids=["declared", "undeclared"])
def test_a_sheet_formatted_down_to_its_last_row_imports_its_thirty_rows(session, world, dimension):
    """Excel declares the formatted rows in <dimension>; without one, openpyxl's read-only sheet would parse them
    all just to open the workbook."""
    rows = team_rows(30)
    data = workbook([("Danh sách", sheet([*table(rows), *formatted_rows(len(rows) + 1)], dimension=dimension))])
    assert len(data) < limits.WORKBOOK_BYTES
    book = read_workbook(data)
    assert [row for row, _ in book.sheets[0].rows] == list(range(2, 32))  # not a million blank rows
    plan = plan_import(session, actor=world.officer, source=book, today=TODAY)
    session.rollback()
    assert plan.ok, plan.problems
    assert (len(plan.rows), plan.villages_created, plan.teams_created) == (30, 30, 30)


def test_a_huge_declared_dimension_alone_is_not_refused_but_values_spread_over_it_are():
    rows = team_rows(3)
    declared = workbook([("Danh sách", sheet(table(rows), dimension="A1:XFD1048576"))])
    assert len(read_workbook(declared).sheets[0].rows) == 3
    spread = workbook([("Danh sách", sheet([*table(rows), *table([[None] * 79 + ["x"]], start=LAST_ROW)],
                                           dimension="A1:XFD1048576"))])
    with pytest.raises(UserError, match=re.escape("trang tính “Danh sách” có dữ liệu tới dòng 1.048.576")):
        read_workbook(spread)


def test_too_many_sheets_are_refused_before_any_is_read():
    data = workbook([(f"Trang {i}", sheet(table([["Xã", "Thôn"]]))) for i in range(limits.WORKBOOK_SHEETS + 1)])
    with pytest.raises(UserError, match=f"có {limits.WORKBOOK_SHEETS + 1} trang tính"):
        read_workbook(data)


def test_huge_shared_strings_are_refused_by_count_and_by_size():
    rows = [b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>']
    many = workbook([("Danh sách", sheet(rows))], shared=[b"<sst %s>" % NS.encode(), b"<si><t>x</t></si>" * (limits.WORKBOOK_SHARED_STRINGS + 1),
                                                          b"</sst>"])
    assert len(many) < 1_000_000
    with pytest.raises(UserError, match="1.000.001 chuỗi chữ"):
        read_workbook(many)
    big = workbook([("Danh sách", sheet(rows))], shared=[b"<sst %s><si><t>" % NS.encode(),
                                                         *[b"a" * (1024 * 1024)] * 41, b"</t></si></sst>"])
    with pytest.raises(UserError, match="quá lớn: phần dữ liệu dùng chung vượt 40 MB"):
        read_workbook(big)


def test_a_zip_unpacking_beyond_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(imports.workbook, "MAX_UNPACKED", 2 * 1024 * 1024)
    data = workbook([("Danh sách", sheet([*table(team_rows(2)), b"<!--" + b" " * (3 * 1024 * 1024) + b"-->"]))])
    with pytest.raises(UserError, match="quá lớn khi giải nén"):
        read_workbook(data)


def _lie_about_size(data: bytes, member: str, size: int) -> bytes:
    """The zip with `member`'s uncompressed size stated as `size` in both its headers."""
    out = bytearray(data)
    name = member.encode()
    for sig, offset, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := out.find(sig, start)) >= 0:
            if out[start + name_at:start + name_at + len(name)] == name:
                out[start + offset:start + offset + 4] = struct.pack("<I", size)
            start += 4
    return bytes(out)


def test_a_sheet_unpacking_beyond_what_its_zip_header_says_is_not_read_past_it():
    data = workbook([("Danh sách", sheet([*table(team_rows(2)), *formatted_rows(10, 200_000)]))])
    lying = _lie_about_size(data, "xl/worksheets/sheet1.xml", 4096)
    with pytest.raises(UserError, match="Không đọc được tệp Excel"):
        read_workbook(lying)


def test_merged_ranges_over_a_million_blank_rows_count_as_rows(monkeypatch):
    monkeypatch.setattr(imports.workbook, "MAX_ROWS", 1000)
    rows = [*table([["Xã", "Thôn"], ["Tam Phước", "Thôn 1"]]), *table([[None, "Thôn cuối"]], start=LAST_ROW)]
    data = workbook([("Danh sách", sheet(rows, merges=("A2:A1048576",)))])
    with pytest.raises(UserError, match="hơn 1.000 dòng dữ liệu"):
        read_workbook(data)


def test_merged_cells_are_still_filled_down_over_their_rows():
    rows = [*table([["Xã", "Thôn", "Họ và tên"], ["Tam Phước", "Phú Mỹ", "Nguyễn Văn A"]]),
            *table([[None, None, "Trần Thị B"], [None, None, "Lê Văn C"]], start=3), *formatted_rows(5, 20_000)]
    book = read_workbook(workbook([("Danh sách", sheet(rows, merges=("A2:A4", "B2:B4")))]))
    assert [values[:3] for _, values in book.sheets[0].rows] == [
        ("Tam Phước", "Phú Mỹ", "Nguyễn Văn A"), ("Tam Phước", "Phú Mỹ", "Trần Thị B"), ("Tam Phước", "Phú Mỹ", "Lê Văn C")]


def test_the_time_budget_stops_the_reading_with_a_message(monkeypatch):
    monkeypatch.setattr(imports.workbook, "MAX_SECONDS", -1.0)  # already spent: the first check stops it
    with pytest.raises(UserError, match="cần hơn -1 giây để đọc|quá lâu"):
        read_workbook(workbook([("Danh sách", sheet(table(team_rows(2))))]))


# ---- photos ------------------------------------------------------------------------------------------


BOMBS = {
    "png 13000": (lambda: png_bilevel(13_000, 13_000), "13.000 × 13.000"),
    "png 20000": (lambda: png_bilevel(20_000, 20_000), "20.000 × 20.000"),
    "jpeg 13000": (lambda: jpeg_declaring(13_000, 13_000), "13.000 × 13.000"),
    "jpeg 20000": (lambda: jpeg_declaring(20_000, 20_000), "20.000 × 20.000"),
    "jpeg 7000 solid": (lambda: encoded((7_000, 7_000), "JPEG", mode="L"), "7.000 × 7.000"),
    "webp 13000": (lambda: webp_declaring(13_000, 13_000), "13.000 × 13.000"),
    "webp 16383": (lambda: webp_declaring(16_383, 16_383), "16.383 × 16.383"),
    "webp 7000 solid": (lambda: encoded((7_000, 7_000), "WEBP", lossless=True), "7.000 × 7.000"),
}


@pytest.fixture
def photo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    return tmp_path / "photos"


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("kind", list(BOMBS))
def test_a_photo_with_huge_dimensions_in_a_small_file_is_refused_with_its_size(kind, photo_dir):
    make, size = BOMBS[kind]
    content = make()
    assert len(content) < 1_000_000  # well under the 5 MB an upload may weigh
    with pytest.raises(UserError) as err:
        photos.store_photo(content)
    assert err.value.message == f"Ảnh quá lớn ({size} điểm ảnh); hãy chọn ảnh dưới 40 megapixel."
    assert err.value.field == "photo"
    assert _files(photo_dir) == []


@pytest.fixture
def team_and_volunteer(session, world):  # noqa: ANN001, ANN201
    team = factories.create_team(session, unit=world.tree.villages[0], established_on=date(2022, 7, 1), members=2)
    volunteer = actor_of(factories.create_user(session, role="volunteer", team=team, username="tnv.anh"))
    session.commit()
    return team, volunteer


def _report(team_id: int, photo: bytes | None) -> ActivityInput:
    return ActivityInput(team_id=team_id, activity_date=TODAY, activity_type="app_install", people_reached=5, photo=photo)


def test_a_pixel_bomb_sent_with_a_report_writes_nothing(session, team_and_volunteer, photo_dir):
    team, volunteer = team_and_volunteer
    with pytest.raises(UserError, match=re.escape("Ảnh quá lớn (20.000 × 20.000 điểm ảnh)")):
        activities.create_activity(session, actor=volunteer, data=_report(team.id, png_bilevel(20_000, 20_000)), today=TODAY)
    session.rollback()
    assert count_rows(session, Activity) == 0
    assert _files(photo_dir) == []


def _jpeg_with_gps(size: tuple[int, int] = (60, 30), orientation: int = 1, fmt: str = "JPEG") -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (15.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (108.0, 25.0, 1.0)
    img = Image.new("RGB", size, (30, 120, 200))
    img.paste((250, 250, 0), (0, 0, size[0] // 2, size[1]))  # left half yellow: shows which way is up
    buf = io.BytesIO()
    img.save(buf, format=fmt, exif=exif)
    return buf.getvalue()


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_a_photo_is_stored_upright_without_its_exif_and_gps(photo_dir, fmt, ext):
    content = _jpeg_with_gps(orientation=6, fmt=fmt)  # "rotate 90° clockwise to view"
    with Image.open(io.BytesIO(content)) as sent:
        assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the file sent does carry a position
    name = photos.store_photo(content)
    stored = (photo_dir / name).read_bytes()
    assert name == hashlib.sha256(stored).hexdigest() + "." + ext
    with Image.open(io.BytesIO(stored)) as img:
        assert dict(img.getexif()) == {}
        assert not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert img.size == (30, 60)  # turned upright: the orientation was applied, then dropped
    assert b"Exif" not in stored and b"PhoneMaker" not in stored


def test_one_thumbnail_is_stored_beside_the_photo_and_the_same_photo_is_stored_once(photo_dir):
    content = encoded((1000, 600), "PNG", mode="RGBA")
    name = photos.store_photo(content)
    assert photos.store_photo(content) == name
    thumb = photo_dir / photos.thumb_name(name)
    assert _files(photo_dir) == sorted([name, thumb.name])
    with Image.open(thumb) as img:
        assert (img.format, img.size) == ("JPEG", (limits.PHOTO_THUMB_SIDE, 192))
    assert photos.thumbnail_path(name) == thumb


def test_webp_from_a_phone_is_accepted(photo_dir):
    name = photos.store_photo(encoded((40, 30), "WEBP", quality=80))
    assert name.endswith(".webp")
    assert (photo_dir / photos.thumb_name(name)).is_file()


def test_an_old_photo_without_a_thumbnail_gets_one_once_and_a_huge_old_one_gets_none(photo_dir):
    photo_dir.mkdir(parents=True)
    (photo_dir / "old.jpg").write_bytes(_jpeg_with_gps((900, 900)))
    thumb = photos.thumbnail_path("old.jpg")
    assert thumb == photo_dir / "old.thumb.jpg" and thumb.is_file()
    with Image.open(thumb) as img:
        assert max(img.size) <= limits.PHOTO_THUMB_SIDE
    (photo_dir / "old.jpg").unlink()  # kept: the page no longer needs the photo itself
    assert photos.thumbnail_path("old.jpg") == thumb
    (photo_dir / "bomb.png").write_bytes(png_bilevel(13_000, 13_000))
    assert photos.thumbnail_path("bomb.png") is None
    assert not (photo_dir / "bomb.thumb.jpg").exists()


# ---- files removed with their last report (both backends) ------------------------------------------


def _stored(session, team_id: int, actor, content: bytes) -> Activity:  # noqa: ANN001
    a = activities.create_activity(session, actor=actor, data=_report(team_id, content), today=TODAY)
    session.commit()
    return a


def test_deleting_a_report_removes_its_photo_and_thumbnail_after_the_commit(session, team_and_volunteer, photo_dir):
    team, volunteer = team_and_volunteer
    a = _stored(session, team.id, volunteer, _jpeg_with_gps())
    files = [a.photo, photos.thumb_name(a.photo)]
    assert _files(photo_dir) == sorted(files)
    activities.delete_activity(session, actor=volunteer, activity_id=a.id, today=TODAY)
    assert _files(photo_dir) == sorted(files)  # not before the commit
    session.commit()
    assert _files(photo_dir) == []


def test_a_photo_another_report_shares_stays_until_its_last_report_goes(session, team_and_volunteer, photo_dir):
    team, volunteer = team_and_volunteer
    content = _jpeg_with_gps()
    first, second = _stored(session, team.id, volunteer, content), _stored(session, team.id, volunteer, content)
    assert first.photo == second.photo
    activities.delete_activity(session, actor=volunteer, activity_id=first.id, today=TODAY)
    session.commit()
    assert _files(photo_dir) == sorted([second.photo, photos.thumb_name(second.photo)])
    activities.delete_activity(session, actor=volunteer, activity_id=second.id, today=TODAY)
    session.commit()
    assert _files(photo_dir) == []


def test_a_rolled_back_delete_keeps_the_photo_even_after_a_later_commit(session, team_and_volunteer, photo_dir):
    team, volunteer = team_and_volunteer
    a = _stored(session, team.id, volunteer, _jpeg_with_gps())
    files = _files(photo_dir)
    activities.delete_activity(session, actor=volunteer, activity_id=a.id, today=TODAY)
    session.rollback()
    assert _files(photo_dir) == files
    _stored(session, team.id, volunteer, None)  # the same session commits something else afterwards
    assert _files(photo_dir) == files
    assert session.get(Activity, a.id).photo == a.photo
