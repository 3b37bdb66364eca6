"""run_write: a failed write becomes a Vietnamese message for the user and a full record in the server log."""

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from db.errors import UserError
from db.transactions import run_write

SECRET = "0905123456"  # a phone number a user typed: it must never reach the log


def broken_write(session: Session, *, phone: str) -> None:
    """A write with a bug in its SQL (a table that does not exist)."""
    session.execute(text("INSERT INTO no_such_table (phone) VALUES (:phone)"), {"phone": phone})


def test_a_failed_write_is_logged_with_its_traceback_before_the_user_sees_the_message(engine, caplog):  # noqa: ANN001
    with caplog.at_level(logging.ERROR, logger="db.transactions"), pytest.raises(UserError) as raised:
        run_write(broken_write, phone=SECRET)
    assert "chưa có gì được lưu" in raised.value.message
    records = [r for r in caplog.records if r.name == "db.transactions" and r.levelno == logging.ERROR]
    assert len(records) == 1
    record = records[0]
    assert "broken_write" in record.getMessage()
    assert record.exc_info is not None and "no_such_table" in caplog.text  # the driver's error and where it came from
    assert SECRET not in caplog.text
