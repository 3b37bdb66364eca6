"""Nhập từ Excel on Địa bàn and Tổ CNSCĐ: upload, preview, problems, import with nothing written before the click."""

from sqlalchemy import select

from db.auth import actor_of
from db.models import Member, Team, Unit
from tests import factories
from tests.db.test_imports import MESSY, MESSY_MERGES, xlsx
from tests.factories import count_rows
from tests.pages.conftest import button, texts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _villages_page(app, session):  # noqa: ANN001, ANN202
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="officer", unit=tree.district, username="canbo.nhap")
    session.commit()
    at = app(actor_of(user)).run()
    at.switch_page("pages/villages_page.py").run()
    return at, tree


def _upload(at, name: str, content: bytes, key: str = "villages_import"):  # noqa: ANN001, ANN202
    nonce = at.session_state[f"{key}_nonce"]
    at.file_uploader(key=f"imports_file_{key}_{nonce}").set_value((name, content, XLSX))
    return at.run()


def test_import_on_the_villages_page_previews_then_writes(app, session):
    at, tree = _villages_page(app, session)
    assert not at.exception
    members_before = count_rows(session, Member)
    at = _upload(at, "danh-sach-to.xlsx", xlsx(*MESSY, merges=MESSY_MERGES))
    assert not at.exception and not at.error
    assert "thêm 1 thôn, 3 tổ, 6 thành viên" in texts(at)
    preview = next(df.value for df in at.dataframe if "Thành viên: xử lý" in df.value.columns)
    assert list(preview["Thành viên"]) == ["Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Văn Cường", "Phạm Thị Dung",
                                           "Võ Văn Em", "Huỳnh Thị Giang"]
    assert set(preview["Thành viên: xử lý"]) == {"Thêm mới"}
    assert list(preview["Thôn"])[3] == "Tạo mới"
    assert count_rows(session, Member) == members_before  # nothing written by the preview

    button(at, "Nhập dữ liệu").click().run()
    assert not at.exception and not at.error
    assert count_rows(session, Member) == members_before + 6
    assert count_rows(session, Team) == 3
    assert any("Đã nhập: 1 thôn, 3 tổ, 6 thành viên mới" in s.value for s in at.success)
    assert session.scalar(select(Unit.parent_id).where(Unit.name == "Thôn Hòa Bình Mới")) == tree.commune.id

    # The same file again: everything is already there and there is nothing to click.
    at = _upload(at, "danh-sach-to.xlsx", xlsx(*MESSY, merges=MESSY_MERGES))
    assert any("không có gì mới để nhập" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Nhập dữ liệu"]
    assert count_rows(session, Member) == members_before + 6


def test_a_file_with_problems_lists_them_and_offers_no_import(app, session):
    at, _ = _villages_page(app, session)
    rows = [list(r) for r in MESSY]
    rows[8][9] = "12345"
    at = _upload(at, "co-loi.xlsx", xlsx(*rows, merges=MESSY_MERGES))
    assert not at.exception
    assert any("Tệp có 1 lỗi; chưa có gì được ghi" in e.value for e in at.error)
    problems = next(df.value for df in at.dataframe if "Lỗi" in df.value.columns)
    assert (problems.iloc[0]["Trang tính"], problems.iloc[0]["Dòng"], problems.iloc[0]["Cột"]) == ("Danh sách", 9, "SO DIEN THOAI")
    assert not [b for b in at.button if b.label == "Nhập dữ liệu"]
    assert count_rows(session, Member) == 0


def test_a_renamed_file_that_is_not_excel_is_refused(app, session):
    at, _ = _villages_page(app, session)
    at = _upload(at, "danh-sach.xlsx", b"STT;Ho ten\n1;Nguyen Van A\n")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Tệp không phải bảng tính Excel .xlsx (dù tên tệp ghi gì). Hãy mở bằng Excel và lưu dưới dạng "
        "Excel Workbook (.xlsx), hoặc dùng mẫu nhập dữ liệu."]


def test_the_teams_page_has_the_import_tab_and_exports_its_list(app, session):
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0], name="=HYPERLINK(\"x\")", members=2)
    user = factories.create_user(session, role="officer", unit=tree.district, username="canbo.to")
    session.commit()
    at = app(actor_of(user)).run()
    at.switch_page("pages/teams_page.py").run()
    assert not at.exception
    assert "Nhập từ Excel" in [t.label for t in at.tabs]
    assert "Tải Excel" in [b.label for b in at.get("download_button")]  # the list, in the tab open first
    at.session_state["teams_tab"] = "Nhập từ Excel"  # what a click on the tab sends: only that tab runs then
    at.run()
    at = _upload(at, "to.xlsx", xlsx(["Xã", "Thôn", "Ngày thành lập", "Họ và tên", "Vai trò"],
                                      ["Tam Phước", "Khánh Thọ", "02/09/2022", "Đỗ Văn Khánh", "Tổ trưởng"]),
                 key="teams_import")
    button(at, "Nhập dữ liệu").click().run()
    assert not at.exception and not at.error
    assert session.scalar(select(Member.role).where(Member.full_name == "Đỗ Văn Khánh")) == "leader"
    labels = [b.label for b in at.get("download_button")]
    assert {"Tải mẫu danh sách thành viên tổ", "Tải mẫu danh sách tổ", "Tải mẫu danh sách thôn, khối phố"} <= set(labels)


def test_a_file_over_the_size_limit_is_refused_in_vietnamese(app, session):
    """The browser lets up to the server's limit through, so the app's 10 MB limit speaks Vietnamese."""
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024 * 1024 > 10 * 1024 * 1024
    at, _ = _villages_page(app, session)
    uploader = at.file_uploader(key=f"imports_file_villages_import_{at.session_state['villages_import_nonce']}")
    assert uploader.proto.max_upload_size_mb > 10
    at = _upload(at, "danh-sach-lon.xlsx", xlsx(*MESSY, merges=MESSY_MERGES) + b"\0" * (10 * 1024 * 1024))
    assert not at.exception
    assert [e.value for e in at.error] == ["Tệp lớn hơn 10 MB; hãy chia thành nhiều tệp nhỏ hơn."]
    assert count_rows(session, Member) == 0
