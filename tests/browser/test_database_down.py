"""In a real browser, PostgreSQL stopped under a signed-in officer: the Vietnamese message, no traceback, and
"Thử lại" brings the page back once the server is up again (ui/guard.py, client.showErrorDetails)."""

import re

import pytest

import db.engine
from tests import factories
from tests.browser.conftest import serve, shot
from tests.conftest import PG_CLUSTER, fresh_database
from ui.guard import DATABASE_UNAVAILABLE

pytestmark = [pytest.mark.browser, pytest.mark.faults]


def test_officer_sees_the_message_while_postgresql_is_down_then_the_data(browser, pg_server, request, tmp_path):
    with fresh_database("postgresql", request, tmp_path) as url:
        engine = db.engine.make_engine(url)
        db.engine.SessionLocal.configure(bind=engine)
        with db.engine.SessionLocal() as session:
            tree = factories.create_tree(session)
            factories.create_team(session, unit=tree.villages[0])
            factories.create_user(session, role="officer", unit=tree.province, username="canbo.trinhduyet")
            session.commit()
        engine.dispose()
        with serve(url, tmp_path) as app_url:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(app_url)
            page.get_by_label("Tên đăng nhập").fill("canbo.trinhduyet")
            page.get_by_label("Mật khẩu").fill(factories.DEFAULT_PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            page.get_by_text(re.compile("Tỉnh Quảng Nam — số liệu đến")).wait_for(timeout=30_000)

            stopped = PG_CLUSTER.ctl("-m", "fast", "-w", "stop")
            assert stopped.returncode == 0, stopped.stderr
            try:
                page.get_by_role("link", name="Độ phủ").click()
                page.get_by_text(DATABASE_UNAVAILABLE).wait_for(timeout=30_000)
                shot(page, "faults-database-down")
                assert page.locator("[data-testid=stException]").count() == 0
                body = page.locator("body").inner_text()
                assert "Traceback" not in body and "OperationalError" not in body and "psycopg" not in body
            finally:
                started = PG_CLUSTER.ctl("-w", "restart")  # reuses the options the server was started with
                assert started.returncode == 0, started.stderr
            page.get_by_role("button", name="Thử lại").click()
            page.get_by_text(re.compile("Tỉnh Quảng Nam — đến")).wait_for(timeout=30_000)
            assert page.get_by_text(DATABASE_UNAVAILABLE).count() == 0
            shot(page, "faults-database-back")
            page.close()
