"""Activity photos: checked by content, stored under the data folder with a content-hash name."""

import contextlib
import hashlib
import io
import os
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from db.errors import UserError

MAX_BYTES = 5 * 1024 * 1024
FORMATS = {"JPEG": "jpg", "PNG": "png"}


def photo_dir() -> Path:
    """Where photos live: DATA_DIR/photos (the data folder next to the SQLite file by default)."""
    from db.engine import DATA_DIR

    return Path(os.environ.get("DATA_DIR", DATA_DIR)) / "photos"


def check_photo(content: bytes) -> str:
    """Return the file extension for a JPEG or PNG of at most 5 MB, judged by content; else UserError."""
    if not content:
        raise UserError("Tệp ảnh rỗng.", field="photo")
    if len(content) > MAX_BYTES:
        raise UserError("Ảnh lớn quá 5 MB; hãy chọn ảnh nhỏ hơn.", field="photo")
    try:
        with Image.open(io.BytesIO(content)) as img:
            kind = img.format
            img.verify()  # catches truncated or forged files
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise UserError("Tệp này không phải ảnh JPEG hoặc PNG hợp lệ.", field="photo") from err
    if kind not in FORMATS:
        raise UserError("Chỉ nhận ảnh JPEG hoặc PNG.", field="photo")
    return FORMATS[kind]


def store_photo(content: bytes) -> str:
    """Validate and store a photo; return its file name (sha256 + extension). Same photo, same file."""
    ext = check_photo(content)
    name = f"{hashlib.sha256(content).hexdigest()}.{ext}"
    folder = photo_dir()
    target = folder / name
    if target.exists():
        return name
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(content)
        os.replace(tmp, target)  # atomic: a reader never sees half a photo
    except OSError as err:
        # A full disk stops the write half-way: remove the partial file rather than leave it behind.
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise UserError("Không lưu được ảnh (thư mục dữ liệu đầy hoặc không ghi được); chưa có gì được lưu.", field="photo") from err
    return name


def photo_path(name: str | None) -> Path | None:
    """The stored photo's path, or None when there is none or the file has gone missing."""
    if not name or "/" in name or name.startswith("."):
        return None
    path = photo_dir() / name
    return path if path.is_file() else None
