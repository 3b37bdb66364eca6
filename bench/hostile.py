"""Small files that are huge once unpacked or decoded, written part by part: the benchmark's hostile uploads
(figure 10) and the resource-limit tests (tests/db/test_resource_limits.py) build them the same way."""

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter
from PIL import Image

LAST_ROW = 1_048_576  # Excel's last row

# ---- workbooks written part by part, so that a file small on the wire can be huge unpacked -------

NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def workbook(sheets: list[tuple[str, Iterable[bytes]]], shared: Iterable[bytes] | None = None) -> bytes:
    """An .xlsx from raw parts: each sheet's XML as pieces (streamed into the zip), optional shared strings."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{_SHEET_TYPE}"/>'
                            for i in range(len(sheets)))
        if shared is not None:
            overrides += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SST_TYPE}"/>'
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                   'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
                   'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   f"{overrides}</Types>")
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                   "</Relationships>")
        z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS}><sheets>'
                   + "".join(f'<sheet name="{t}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, (t, _) in enumerate(sheets))
                   + "</sheets></workbook>")
        rels = "".join(f'<Relationship Id="rId{i + 1}" Type="{rel}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                       for i in range(len(sheets)))
        if shared is not None:
            rels += f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                   f'openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
        for i, (_, parts) in enumerate(sheets):
            with z.open(f"xl/worksheets/sheet{i + 1}.xml", "w") as f:
                for part in parts:
                    f.write(part)
        if shared is not None:
            with z.open("xl/sharedStrings.xml", "w") as f:
                for part in shared:
                    f.write(part)
    return buf.getvalue()


def sheet(rows: Iterable[bytes], *, dimension: str | None = None, merges: tuple[str, ...] = ()) -> Iterator[bytes]:
    """A worksheet's XML in pieces."""
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>'.encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield from rows
    yield b"</sheetData>"
    if merges:
        yield (f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
               + "</mergeCells>").encode()
    yield b"</worksheet>"


def table(rows: list[list], start: int = 1) -> Iterator[bytes]:
    """Rows of values (text as inline strings) from row `start`."""
    for i, values in enumerate(rows):
        r = start + i
        cells = "".join(f'<c r="{get_column_letter(c + 1)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
                        if isinstance(v, str) else f'<c r="{get_column_letter(c + 1)}{r}"><v>{v}</v></c>'
                        for c, v in enumerate(values) if v is not None)
        yield f'<row r="{r}">{cells}</row>'.encode()


def formatted_rows(first: int, last: int = LAST_ROW) -> Iterator[bytes]:
    """Rows that are formatted and hold nothing, as Excel writes a sheet formatted down to its end."""
    for start in range(first, last + 1, 100_000):
        yield b"".join(b'<row r="%d" s="1" customFormat="1"><c r="A%d" s="1"/></row>' % (r, r)
                       for r in range(start, min(start + 100_000, last + 1)))


def png_bilevel(width: int, height: int) -> bytes:
    """A real black PNG of width × height, one bit a pixel: tens of KB however large it is."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    row = b"\0" * (1 + (width + 7) // 8)
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def encoded(size: tuple[int, int], fmt: str, mode: str = "RGB", **options: object) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, 90 if mode == "L" else (30, 120, 200)).save(buf, format=fmt, **options)
    return buf.getvalue()


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header declares width × height (what a solid-colour one would say)."""
    data = bytearray(encoded((16, 16), "JPEG"))
    at = data.index(b"\xff\xc0")
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_declaring(width: int, height: int) -> bytes:
    """A small lossy WebP whose frame header declares width × height (WebP stops at 16,383)."""
    data = bytearray(encoded((16, 16), "WEBP", quality=80))
    at = data.index(b"\x9d\x01\x2a")
    data[at + 3:at + 7] = struct.pack("<HH", width, height)
    return bytes(data)
