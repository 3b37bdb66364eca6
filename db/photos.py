"""Activity photos: checked by their header before anything is decoded, stored re-encoded (no EXIF, GPS included)
under the data folder with a content-hash name, one small thumbnail beside each; files removed with their last report.

The limits (bytes, pixels, thumbnail size) live in db/limits.py ("Resources").
"""

import contextlib
import hashlib
import io
import logging
import os
import struct
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path

from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError, WebPImagePlugin
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from db import limits
from db.errors import UserError

log = logging.getLogger(__name__)

MAX_BYTES = limits.PHOTO_BYTES
MAX_PIXELS = limits.PHOTO_PIXELS
THUMB_SIDE = limits.PHOTO_THUMB_SIDE
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMB_SUFFIX = ".thumb.jpg"
# Pillow's own bomb check, for every image this process opens: a warning above the limit, an error above twice it.
# Photos are measured from their header first (below), so these are a second line, never the message users see.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
_HEADERS = ((JpegImagePlugin._accept, JpegImagePlugin.JpegImageFile), (PngImagePlugin._accept, PngImagePlugin.PngImageFile),  # noqa: SLF001
            (WebPImagePlugin._accept, WebPImagePlugin.WebPImageFile))  # noqa: SLF001 - each format's own magic test
NOT_A_PHOTO = "Tệp này không phải ảnh JPEG, PNG hoặc WebP hợp lệ."


def photo_dir() -> Path:
    """Where photos live: DATA_DIR/photos (the data folder next to the SQLite file by default)."""
    from db.engine import DATA_DIR

    return Path(os.environ.get("DATA_DIR", DATA_DIR)) / "photos"


def _too_large(width: int | None = None, height: int | None = None) -> UserError:
    size = f"{width:,} × {height:,} điểm ảnh".replace(",", ".") if width and height else "quá nhiều điểm ảnh"
    return UserError(f"Ảnh quá lớn ({size}); hãy chọn ảnh dưới {MAX_PIXELS // 1_000_000} megapixel.", field="photo")


def _header(content: bytes) -> tuple[str, int, int]:
    """The format and size a JPEG, PNG or WebP declares in its header, read without decoding a pixel.

    The format plugins are used directly: Image.open would apply Pillow's bomb check first and say neither
    the width nor the height.
    """
    for accepts, plugin in _HEADERS:
        if not accepts(content[:16]):
            continue
        try:
            with plugin(io.BytesIO(content)) as img:
                return str(img.format), img.size[0], img.size[1]
        except Image.DecompressionBombError as err:  # the WebP reader checks the size itself as it opens
            raise _too_large(*_webp_size(content)) from err
        except Exception as err:  # noqa: BLE001 - a damaged header raises many types; none is a photo
            raise UserError(NOT_A_PHOTO, field="photo") from err
    raise UserError(NOT_A_PHOTO, field="photo")


def _webp_size(content: bytes) -> tuple[int, int] | tuple[()]:
    """A WebP's canvas size from its first chunk (VP8X, VP8L or VP8), for the message; () when unreadable."""
    kind, body = content[12:16], content[20:30]
    try:
        if kind == b"VP8X":
            return 1 + int.from_bytes(body[4:7], "little"), 1 + int.from_bytes(body[7:10], "little")
        if kind == b"VP8L":
            bits = int.from_bytes(body[1:5], "little")
            return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
        if kind == b"VP8 ":
            width, height = struct.unpack("<HH", body[6:10])
            return width & 0x3FFF, height & 0x3FFF
    except (struct.error, IndexError):
        pass
    return ()



def check_photo(content: bytes) -> str:
    """Return the file extension for a JPEG, PNG or WebP of at most 5 MB and 40 megapixels, judged by content.

    Its size is read from the header before anything is decoded, so a small file declaring 20,000 × 20,000
    pixels is refused at once with its size in the message.
    """
    if not content:
        raise UserError("Tệp ảnh rỗng.", field="photo")
    if len(content) > MAX_BYTES:
        raise UserError(f"Ảnh lớn quá {MAX_BYTES // (1024 * 1024)} MB; hãy chọn ảnh nhỏ hơn.", field="photo")
    kind, width, height = _header(content)
    if width * height > MAX_PIXELS:
        raise _too_large(width, height)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=list(FORMATS)) as img:
                img.verify()  # catches truncated or forged files
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise _too_large(width, height) from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise UserError(NOT_A_PHOTO, field="photo") from err
    return FORMATS[kind]


def _reencoded(content: bytes, kind: str) -> tuple[bytes, bytes]:
    """The photo as stored and its thumbnail: decoded once, turned upright by its EXIF orientation, and saved
    again without its metadata, so the EXIF (GPS position, phone, time) and text chunks stay behind.

    The decoded image is transformed in place and never copied whole: at 40 MP a copy is 120–160 MB.
    """
    out = io.BytesIO()
    try:
        with Image.open(io.BytesIO(content), formats=[kind]) as img:
            img.load()
            ImageOps.exif_transpose(img, in_place=True)  # upright, and the orientation tag gone with the rest
            img.info.clear()  # no EXIF, XMP, ICC or text chunk may ride along into the new file, whatever the format
            if kind == "JPEG":
                (img if img.mode in ("RGB", "L") else img.convert("RGB")).save(out, format="JPEG", quality=90)
            elif kind == "WEBP":
                img.save(out, format="WEBP", quality=90)
            else:
                img.save(out, format="PNG")
            thumb = _thumbnail_bytes(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise _too_large() from err
    except (OSError, SyntaxError, ValueError) as err:  # truncated data that verify() did not reach
        raise UserError(NOT_A_PHOTO, field="photo") from err
    return out.getvalue(), thumb


def _thumbnail_bytes(img: Image.Image) -> bytes:
    """A JPEG of at most THUMB_SIDE px on its longer side; transparency on white."""
    if img.mode not in ("RGB", "RGBA", "L", "LA"):
        img = img.convert("RGBA")  # a palette image, or a 16-bit one, scales well only in full colour
    width, height = img.size
    scale = min(1.0, THUMB_SIDE / max(width, height))
    small = img.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS)
    if small.mode in ("RGBA", "LA"):
        flat = Image.new("RGB", small.size, (255, 255, 255))
        flat.paste(small, mask=small.getchannel("A"))
        small = flat
    out = io.BytesIO()
    small.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def _write(target: Path, content: bytes) -> None:
    """Write a file atomically: a reader never sees half of it; a failed write leaves nothing behind."""
    tmp = target.parent / f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        tmp.write_bytes(content)
        os.replace(tmp, target)
    except OSError:
        # A full disk stops the write half-way: remove the partial file rather than leave it behind.
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def thumb_name(name: str) -> str:
    """The thumbnail's file name beside a photo's: "<hash>.thumb.jpg"."""
    return name.rsplit(".", 1)[0] + THUMB_SUFFIX


def store_photo(content: bytes) -> str:
    """Validate, re-encode and store a photo with its thumbnail; return its file name (sha256 of the stored file
    + extension). The same photo gives the same file."""
    ext = check_photo(content)
    kind = next(k for k, e in FORMATS.items() if e == ext)
    stored, thumb = _reencoded(content, kind)
    name = f"{hashlib.sha256(stored).hexdigest()}.{ext}"
    folder = photo_dir()
    target, thumb_target = folder / name, folder / thumb_name(name)
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path, data in ((target, stored), (thumb_target, thumb)):
            if not path.exists():
                _write(path, data)
                written.append(path)
    except OSError as err:
        for path in written:  # the photo without its thumbnail is not kept either: nothing half-stored
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        raise UserError("Không lưu được ảnh (thư mục dữ liệu đầy hoặc không ghi được); chưa có gì được lưu.", field="photo") from err
    return name


def _valid_name(name: str | None) -> bool:
    return bool(name) and "/" not in str(name) and "\\" not in str(name) and not str(name).startswith(".")


def photo_path(name: str | None) -> Path | None:
    """The stored photo's path, or None when there is none or the file has gone missing."""
    if not name or not _valid_name(name):
        return None
    path = photo_dir() / name
    return path if path.is_file() else None


def thumbnail_path(name: str | None) -> Path | None:
    """The photo's stored thumbnail, for pages: they show it and never decode the photo itself.

    A photo stored before thumbnails were made at upload gets its thumbnail here, once, and keeps it; a photo
    over the pixel limit (stored before the limit) gets none: None, as for a photo whose file is gone.
    """
    if not name or not _valid_name(name):
        return None
    thumb = photo_dir() / thumb_name(name)
    if thumb.is_file():
        return thumb
    source = photo_path(name)
    if source is None:
        return None
    try:
        content = source.read_bytes()
        _kind, width, height = _header(content)
        if width * height > MAX_PIXELS:
            return None
        with Image.open(io.BytesIO(content), formats=list(FORMATS)) as img:
            img.draft("RGB", (THUMB_SIDE * 2, THUMB_SIDE * 2))  # a JPEG decodes at 1/2…1/8 scale: cheaper
            img.load()
            data = _thumbnail_bytes(ImageOps.exif_transpose(img))
        _write(thumb, data)
    except Exception as err:  # noqa: BLE001 - a damaged old photo gets no thumbnail; the page must still show
        log.warning("no thumbnail for photo %s: %s", name, err)
        return None
    return thumb


# ---- files removed with their last report ------------------------------------------------------------

_PENDING = "photos_to_discard"


def discard_unused(session: Session, names: Iterable[str | None]) -> None:
    """Delete these photos' files (photo and thumbnail) once `session` commits, those no report references then.

    Called by whatever deletes reports, in the deleting transaction. Nothing is removed before the commit: a
    transaction rolled back (a later check failed, the database refused the delete) keeps its photos, since its
    reports are still there; a rollback also forgets what was pending. After the commit the references are
    counted again on a fresh connection, so a photo another report shares (the same picture sent twice gives
    the same file) stays, as does one another transaction committed meanwhile. What remains is a race no lock
    covers: a report of the very same picture whose own transaction commits between that count and the
    unlink would show "Ảnh không còn"; its report and figures are unharmed.
    """
    wanted = {n for n in names if n and _valid_name(n)}
    if not wanted:
        return
    pending: set[str] = session.info.setdefault(_PENDING, set())
    if not pending and not event.contains(session, "after_commit", _after_commit):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
    pending |= wanted


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _after_commit(session: Session) -> None:
    """Remove the pending photos no report references; never raise, the commit has happened."""
    from db.models import Activity

    names = session.info.pop(_PENDING, set())
    if not names:
        return
    try:
        with session.get_bind().engine.connect() as conn:  # a fresh connection: it sees what is committed
            used = set(conn.execute(select(Activity.photo).where(Activity.photo.in_(sorted(names)))).scalars())
    except Exception:  # noqa: BLE001 - the delete is committed; a file left behind is the lesser harm
        log.exception("photos %s kept: their references could not be counted", sorted(names))
        return
    folder = photo_dir()
    for name in sorted(names - used):
        for path in (folder / name, folder / thumb_name(name)):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                log.warning("photo file %s could not be removed", path)

