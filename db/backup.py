"""Backup and restore: every table to one gzipped JSON-lines file, portable between SQLite and PostgreSQL."""

import base64
import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Date, DateTime, Engine, LargeBinary, Table, func, insert, select, text

from db.counts import rebuild
from db.models import Base

FORMAT = "tocnscd-backup-1"


def _tables() -> list[Table]:
    """Tables in foreign-key order (parents first)."""
    return list(Base.metadata.sorted_tables)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decoder(table):  # type: ignore[no-untyped-def]
    kinds = {c.name: c.type for c in table.columns}

    def decode(row: dict) -> dict:
        for name, value in row.items():
            if value is None:
                continue
            kind = kinds[name]
            if isinstance(kind, DateTime):
                row[name] = datetime.fromisoformat(value)
            elif isinstance(kind, Date):
                row[name] = date.fromisoformat(value)
            elif isinstance(kind, LargeBinary):
                row[name] = base64.b64decode(value)
        return row

    return decode


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see the database as of its first read, while app servers go on writing.

    Read table by table in PostgreSQL's default READ COMMITTED, a backup taken during the day could hold a
    report without its team, or kept counts that disagree with the rows; REPEATABLE READ gives the whole
    backup one snapshot (also on a hot-standby replica). SQLite gets one by an explicit BEGIN: its driver
    starts a transaction before a write only, and in WAL mode a read transaction keeps its snapshot.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            yield conn
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()


def backup(conn: Connection, out: IO[bytes]) -> dict[str, int]:
    """Write every table's rows; return the row count per table."""
    counts: dict[str, int] = {}
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"format": FORMAT, "tables": [t.name for t in _tables()]}) + "\n")
        for table in _tables():
            n = 0
            for row in conn.execute(select(table)).mappings():
                fh.write(json.dumps({"t": table.name, "r": {k: _encode(v) for k, v in row.items()}}, ensure_ascii=False) + "\n")
                n += 1
            counts[table.name] = n
    return counts


def restore(conn: Connection, source: IO[bytes]) -> dict[str, int]:
    """Load a backup into an empty, migrated database (one transaction); refuse a non-empty one."""
    tables = {t.name: t for t in _tables()}
    for table in tables.values():
        if conn.scalar(select(func.count()).select_from(table)):
            raise ValueError(f"Cơ sở dữ liệu đích đã có dữ liệu (bảng {table.name}); chỉ phục hồi vào cơ sở dữ liệu trống.")
    counts = dict.fromkeys(tables, 0)
    batch: dict[str, list[dict]] = {}
    decoders = {name: _decoder(t) for name, t in tables.items()}
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        header = json.loads(fh.readline())
        if header.get("format") != FORMAT:
            raise ValueError("Tệp này không phải bản sao lưu của hệ thống Tổ CNSCĐ.")
        order = [n for n in header["tables"] if n in tables]
        for line in fh:
            item = json.loads(line)
            batch.setdefault(item["t"], []).append(decoders[item["t"]](item["r"]))
    for name in order:  # parents first, so foreign keys hold at every insert
        rows = batch.get(name, [])
        for i in range(0, len(rows), 2000):
            conn.execute(insert(tables[name]), rows[i : i + 2000])
        counts[name] = len(rows)
    if not {"scope_rollups", "leaf_counts", "scope_counts"} <= set(order):
        # A backup from before these kept tables existed: compute them from the rows just restored.
        rebuild(conn)
    if conn.dialect.name == "postgresql":
        # Rows came with their ids; move each id sequence past them so new rows do not collide.
        for name, table in tables.items():
            if "id" in table.c and [c.name for c in table.primary_key.columns] == ["id"]:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"COALESCE((SELECT max(id) FROM {name}), 0) + 1, false)"))
    return counts


def backup_file(conn: Connection, path: Path) -> dict[str, int]:
    """Back up to a file, written beside it first and then moved, so a failure leaves no half file."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        counts = backup(conn, out)
    tmp.replace(path)
    return counts
