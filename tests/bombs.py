"""Files that unpack to far more than they weigh, made in a fraction of a second.

Used by tests/ingest/test_bombs.py, tests/bot/test_upload.py and bench/bombs.py.

Each is small on disk, under MAX_FILE_BYTES, and what the issue measured or worse: a Word file whose
text inflates about 1,000 times (one whose zip directory lies about it, too), PDFs of thousands of
pages (real ones, and one page listed a hundred thousand times), a PDF stream that inflates to
300 MB, a web page nested 100,000 deep, and text files and pages of more characters than a book.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import docx
from fpdf import FPDF

MB = 1_000_000
_CHUNK = 1_000_000


@dataclass(frozen=True)
class _Part:
    name: str
    deflated: bytes
    crc: int
    size: int  # as the zip's directory declares it


def _deflate_part(name: str, content: bytes) -> _Part:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return _Part(name, packer.compress(content) + packer.flush(), zlib.crc32(content), len(content))


def _repeated_part(name: str, head: bytes, body: bytes, times: int, tail: bytes, declared: int | None) -> _Part:
    """`head + body * times + tail`, deflated without ever being built: after a full flush, the same
    input deflates to the same bytes, so the body's block is repeated as it is. A `declared` size
    comes with the checksum of that many first bytes, so a reader that stops there finds it right."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(body) + packer.flush(zlib.Z_FULL_FLUSH)
    last = packer.compress(tail) + packer.flush()
    size = len(head) + len(body) * times + len(tail)
    crc, left = 0, size if declared is None else declared
    for piece in (head, *([body] * times), tail):
        crc, left = zlib.crc32(piece[:left], crc), left - len(piece[:left])
    return _Part(name, first + block * times + last, crc, size if declared is None else declared)


def _zip(parts: list[_Part]) -> bytes:
    """A zip written field by field, so a part may declare any size."""
    out = io.BytesIO()
    directory = io.BytesIO()
    for part in parts:
        offset = out.tell()
        name = part.name.encode()
        fields = (20, 0, zlib.DEFLATED, 0, 0x21, part.crc, len(part.deflated), part.size, len(name))
        out.write(struct.pack("<4s5HIIIHH", b"PK\x03\x04", *fields, 0) + name + part.deflated)
        directory.write(struct.pack("<4s6HIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + name)
    start, listing = out.tell(), directory.getvalue()
    out.write(listing)
    out.write(struct.pack("<4s4HIIH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(listing), start, 0))
    return out.getvalue()


def _docx_skeleton() -> dict[str, bytes]:
    document = docx.Document()
    document.add_paragraph("BODY")
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def docx_article(paragraphs: list[str]) -> bytes:
    """A Word file of these paragraphs (plain text, no markup), written as Word writes one."""
    parts = _docx_skeleton()
    body = b"</w:t></w:r></w:p><w:p><w:r><w:t>".join(paragraph.encode() for paragraph in paragraphs)
    parts["word/document.xml"] = parts["word/document.xml"].replace(b"BODY", body)
    return _zip([_deflate_part(name, content) for name, content in parts.items()])


def docx_bomb(inflated: int = 300 * MB, declared: int | None = None) -> bytes:
    """A Word file whose one paragraph inflates to `inflated` bytes of text (about 1,000 times);
    `declared` makes the zip's directory claim that size instead."""
    parts = _docx_skeleton()
    head, tail = parts.pop("word/document.xml").split(b"BODY")
    body = b"A" * _CHUNK
    members = [_deflate_part(name, content) for name, content in parts.items()]
    members.append(_repeated_part("word/document.xml", head, body, inflated // _CHUNK, tail, declared))
    return _zip(members)


def pdf_pages(pages: int = 2_000) -> bytes:
    """A real PDF of `pages` pages, a line of text on each."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for number in range(pages):
        pdf.add_page()
        pdf.cell(0, 10, f"Page {number + 1} of a long report on water management in Central Asia.")
    return bytes(pdf.output())


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (numbered from 1, the first the catalogue), with its cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    table = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, table))
    return out.getvalue()


def _page_objects(content: bytes) -> list[bytes]:
    """Objects 3 to 5: one page, its font, and its content stream (deflated)."""
    return [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R"
        b" /Resources << /Font << /F1 4 0 R >> >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
    ]


def pdf_one_page_many_times(times: int = 100_000, declared: int | None = None) -> bytes:
    """A PDF whose page tree lists one page `times` times: a few hundred kilobytes, `times` pages to a
    reader; `declared` is the page count the tree claims (the truth by default)."""
    text = zlib.compress(b"BT /F1 12 Tf 72 720 Td (Water management in Central Asia, again.) Tj ET")
    kids = b" ".join([b"3 0 R"] * times)
    count = times if declared is None else declared
    tree = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", tree, *_page_objects(text)])


def pdf_stream_bomb(inflated: int = 300 * MB) -> bytes:
    """A one-page PDF whose content stream inflates to `inflated` bytes of spaces (zlib's checksum at
    its end is wrong: no reader should get that far)."""
    packer = zlib.compressobj(9)
    first = packer.compress(b"BT /F1 12 Tf 72 720 Td (Water.) Tj ET ") + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(b" " * _CHUNK) + packer.flush(zlib.Z_FULL_FLUSH)
    stream = first + block * (inflated // _CHUNK) + packer.flush()
    tree = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", tree, *_page_objects(stream)])


def deep_html(depth: int = 100_000) -> bytes:
    """A page whose article lies under `depth` nested elements."""
    article = "<p>" + "Kazakhstan and Qatar signed an agreement on water management in Doha. " * 5 + "</p>"
    body = "<div>" * depth + article + "</div>" * depth
    return f"<html><head><title>Deep</title></head><body>{body}</body></html>".encode()


def long_html(chars: int = 1_500_000) -> bytes:
    """A page of plain paragraphs, each its own, `chars` characters of article text in all."""
    sentence = "Kazakhstan and Qatar signed an agreement on water management in Doha. "
    paragraphs = [f"<p>Paragraph {n}: {sentence * 10}</p>" for n in range(chars // (len(sentence) * 10))]
    title = "<html><head><title>Long</title></head><body><article><h1>A very long article</h1>\n"
    return (title + "\n".join(paragraphs) + "</article></body></html>").encode()


def long_text(chars: int = 1_900_000) -> bytes:
    """A plain text file of `chars` characters, under MAX_FILE_BYTES's 2 MB."""
    paragraph = "Kazakhstan and Qatar signed an agreement on water management in Doha, the ministry said.\n\n"
    return ("A very long article\n\n" + paragraph * (chars // len(paragraph))).encode()


# Each bomb with the file name it is saved under and the words its refusal must hold.
BOMBS: dict[str, tuple[Callable[[], bytes], str]] = {
    "bomb.docx": (docx_bomb, "unpacks to 301 MB, over MAX_UNPACKED_BYTES=20 MB"),
    "lying.docx": (lambda: docx_bomb(declared=50_000), "unreadable Word file (XMLSyntaxError"),
    "pages.pdf": (pdf_pages, "2,000 pages, over MAX_PDF_PAGES=300"),
    "one-page-100000-times.pdf": (pdf_one_page_many_times, "100,000 pages, over MAX_PDF_PAGES=300"),
    "count-lies.pdf": (lambda: pdf_one_page_many_times(declared=1), "at least 301 pages, over MAX_PDF_PAGES=300"),
    "stream.pdf": (pdf_stream_bomb, "Limit reached while decompressing"),
    "deep.html": (deep_html, "nested at least 256 elements deep, over MAX_HTML_DEPTH=200"),
    "long.html": (long_html, "characters, over MAX_ARTICLE_CHARS=1,000,000"),
    "long.txt": (long_text, "text of 1,900,011 characters, over MAX_ARTICLE_CHARS=1,000,000"),
}
