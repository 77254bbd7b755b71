"""Changing the corpus from Telegram: `/remove FILE`, and documents or links sent by an admin.

All change CORPUS_DIR, then run the same background rebuild as /reindex (bot.admin). Nothing is
ever deleted: a removed file goes to a `removed/` folder beside the corpus, where an admin can take
it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import tempfile
import tomllib
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TypeVar
from urllib.parse import unquote, urlparse, urlsplit, urlunsplit

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot import handlers, render
from bot.admin import claim_rebuild, rebuild_and_report
from bot.handlers import REBUILDING, Context, _command_argument, _is_admin, _lang, _reply, _service, _settings
from bot.link_fetch import FetchedPage, LinkError, fetch_page, looks_like_html
from bot.texts import Lang, text
from index.ingest.article_dates import parse_written_date
from index.ingest.readers import READERS
from index.ingest.readers import html as html_reader
from index.ingest.readers.record import ReadArticle, Unreadable
from index.ingest.sidecar import SIDECAR_NAME, CorpusError, is_article_place, read_sidecar, valid_url
from index.store.directory import IndexUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")


class UnsafeName(ValueError):
    """A file name that would leave the corpus folder, or name no file in it."""


def corpus_file(corpus_dir: Path, name: str) -> Path:
    """CORPUS_DIR/name, refusing absolute paths, `..` and anything resolving outside the folder."""
    name = name.strip()
    if not name:
        raise UnsafeName("empty")
    pure = PurePosixPath(name)
    if pure.is_absolute() or PureWindowsPath(name).is_absolute() or ".." in pure.parts or "\\" in name:
        raise UnsafeName("outside")
    root = corpus_dir.resolve()
    path = (root / pure).resolve()
    if not path.is_relative_to(root) or path == root:
        raise UnsafeName("outside")
    return path


def removed_dir(corpus_dir: Path) -> Path:
    return corpus_dir.resolve().parent / "removed"


def _move_to_removed(corpus_dir: Path, path: Path) -> Path:
    target_dir = removed_dir(corpus_dir) / path.relative_to(corpus_dir.resolve()).parent
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    n = 1
    while target.exists():  # an earlier removal of the same name is kept too
        target = target_dir / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(path, target)
    return target


async def remove_command(update: Update, context: Context) -> None:
    lang = _lang(update)
    if not _is_admin(update, context):
        await _reply(update, text("admins_only", lang))
        return
    name = _command_argument(update.effective_message)  # type: ignore[arg-type]
    if not name:
        await _reply(update, text("remove_usage", lang))
        return
    corpus_dir = _settings(context).corpus_dir
    try:
        path = corpus_file(corpus_dir, name)
    except UnsafeName:
        await _reply(update, text("unsafe_name", lang, name=render.escape(name)))
        return
    # The metadata file and hidden files are no articles: /sources never lists them.
    if not path.is_file() or not is_article_place(path.relative_to(corpus_dir.resolve())):
        await _reply(update, text("no_such_file", lang, name=render.escape(name)))
        return
    try:
        target = await _write_for_rebuild(context, lambda: _move_to_removed(corpus_dir, path))
    except Refused as refusal:
        await _say_refused(update, refusal, lang)
        return
    except OSError as error:
        log.warning("could not move %s aside: %s", path, error)
        await _reply(update, text("remove_failed", lang, name=render.escape(name), reason=render.escape(str(error))))
        return
    await _reply(update, text("removed", lang, name=render.escape(name), target=render.escape(str(target))))
    await rebuild_and_report(update, context, lang)


# Documents sent by an admin ---------------------------------------------------------------

# Exactly what the build reads.
ALLOWED_SUFFIXES = frozenset(READERS)


class Refused(ValueError):
    """An upload that is not written, with the text key and fields of the reason."""

    def __init__(self, key: str, **fields: object) -> None:
        super().__init__(key)
        self.key, self.fields = key, fields


async def _say_refused(update: Update, refusal: Refused, lang: Lang) -> None:
    fields = {k: render.escape(str(v)) for k, v in refusal.fields.items()}
    await _reply(update, text(refusal.key, lang, **fields))


async def _write_for_rebuild(context: Context, write: Callable[[], T]) -> T:
    """Change the corpus (in a thread) holding the rebuild claim that the caller's rebuild_and_report
    then uses; refused, with nothing written, while a rebuild runs. A failed write releases the claim."""
    if not claim_rebuild(context):
        raise Refused("already_rebuilding")
    try:
        return await asyncio.to_thread(write)
    except BaseException:
        context.bot_data[REBUILDING] = None
        raise


def safe_upload_name(name: str) -> str:
    """The plain file name to write, or Refused: any path in the name is refused, not guessed at."""
    name = name.strip()
    if not name or "/" in name or "\\" in name or name in {".", ".."} or ".." in name or name.startswith("."):
        raise Refused("unsafe_name", name=name)
    if Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise Refused("bad_suffix", name=name, allowed=" ".join(sorted(ALLOWED_SUFFIXES)))
    return name


def check_content(name: str, data: bytes) -> None:
    """The bytes must be what the suffix says, so the build does not skip the file later."""
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        ok = data.startswith(b"%PDF")
    elif suffix == ".docx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                ok = "word/document.xml" in archive.namelist()
        except zipfile.BadZipFile:
            ok = False
    else:
        try:
            data.decode("utf-8-sig")  # text uploads must be UTF-8
        except UnicodeDecodeError:
            ok = False
        else:
            ok = suffix not in {".html", ".htm"} or looks_like_html(data)
    if not ok:
        raise Refused("bad_content", name=name, kind=suffix.lstrip(".").upper())


CAPTION_FIELDS = ("title", "date", "url")


def parse_caption(caption: str) -> dict[str, str]:
    """`title: ...`, `date: 2025-02`, `url: https://...` lines, checked as the corpus reader will read them."""
    fields: dict[str, str] = {}
    for line in caption.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), " ".join(value.split())
        if not sep or key not in CAPTION_FIELDS or not value:
            raise Refused("bad_caption", line=line.strip())
        if key == "date" and parse_written_date(value) is None:
            raise Refused("bad_caption", line=line.strip())
        if key == "url" and not valid_url(value):
            raise Refused("bad_caption", line=line.strip())
        fields[key] = value
    return fields


def add_metadata(corpus_dir: Path, name: str, fields: dict[str, str]) -> None:
    """Append the file's table to metadata.toml, atomically, and only if the result still parses."""
    path = corpus_dir.resolve() / SIDECAR_NAME
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    # A JSON string is a valid TOML basic string: quotes, backslashes and control characters escaped.
    table = "\n".join(
        [f"[{json.dumps(name, ensure_ascii=False)}]"]
        + [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    )
    new = f"{old.rstrip()}\n\n{table}\n" if old.strip() else f"{table}\n"
    try:
        if tomllib.loads(new).get(name) != fields:
            raise Refused("metadata_conflict", name=name)
    except tomllib.TOMLDecodeError:
        raise Refused("metadata_conflict", name=name) from None
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=".metadata-", delete=False
    ) as handle:
        handle.write(new)
    os.replace(handle.name, path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_upload(corpus_dir: Path, name: str, data: bytes, metadata: dict[str, str] | None = None) -> Path:
    """Write the file atomically into the corpus; Refused for an existing name or identical content."""
    check_content(name, data)
    # An entry kept from a removed file of that name would silently relabel the new one.
    if name in read_metadata_names(corpus_dir):
        raise Refused("metadata_conflict", name=name)
    digest = hashlib.sha256(data).hexdigest()
    root = corpus_dir.resolve()
    for existing in sorted(root.rglob("*")):
        if existing.is_file() and existing.stat().st_size == len(data) and _sha256(existing) == digest:
            raise Refused("duplicate", name=name, existing=str(existing.relative_to(root)))
    target = root / name
    if target.exists():
        raise Refused("name_taken", name=name)
    # Written beside the target then renamed: a build never reads a half-written file.
    with tempfile.NamedTemporaryFile(dir=root, prefix=".upload-", delete=False) as handle:
        handle.write(data)
        temporary = Path(handle.name)
    try:
        os.link(temporary, target)  # fails if the name appeared meanwhile, never overwrites
    except FileExistsError:
        raise Refused("name_taken", name=name) from None
    finally:
        temporary.unlink()
    if metadata:
        try:
            add_metadata(corpus_dir, name, metadata)
        except BaseException:
            target.unlink()  # the caption said what the article is: without it, nothing is kept
            raise
    return target


def read_metadata_names(corpus_dir: Path) -> set[str]:
    path = corpus_dir.resolve() / SIDECAR_NAME
    if not path.exists():
        return set()
    try:
        return set(tomllib.loads(path.read_text(encoding="utf-8")))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise Refused("metadata_conflict", name=SIDECAR_NAME) from None


def _citation_line(context: Context, name: str, lang: Lang) -> str:
    stored = _service(context).current().stored
    document = next((d for d in stored.documents if d.source == name), None)
    if document is None:
        return text("upload_not_indexed", lang, name=render.escape(name))
    chunks = sum(1 for c in stored.chunks if c.doc_id == document.id)
    citation = render.article_citation(document.title, name, document.date, document.date_precision, document.url, lang)
    return text("uploaded_as", lang, citation=citation, chunks=chunks)


async def document_message(update: Update, context: Context) -> None:
    lang = _lang(update)
    message = update.effective_message
    if message is None or message.document is None:
        return
    if not _is_admin(update, context):
        await _reply(update, text("upload_admins_only", lang))
        return
    document = message.document
    settings = _settings(context)
    try:
        name = safe_upload_name(document.file_name or "")
        metadata = parse_caption(message.caption or "")
        if document.file_size is not None and document.file_size > settings.max_file_bytes:
            raise Refused("too_big", name=name, size=document.file_size, limit=settings.max_file_bytes)
        file = await context.bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
        if len(data) > settings.max_file_bytes:
            raise Refused("too_big", name=name, size=len(data), limit=settings.max_file_bytes)
        await _write_for_rebuild(context, lambda: write_upload(settings.corpus_dir, name, data, metadata))
    except Refused as refusal:
        await _say_refused(update, refusal, lang)
        return
    except OSError as error:
        log.warning("could not save the upload %r: %s", document.file_name, error)
        await _reply(update, text("upload_failed", lang, reason=render.escape(str(error))))
        return
    await _reply(update, text("upload_saved", lang, name=render.escape(name)))
    await rebuild_and_report(update, context, lang, lambda: _citation_line(context, name, lang))


# Links sent by an admin -------------------------------------------------------------------

# A private message whose first line is nothing but an http(s) URL; any lines after it are a
# caption, as on a document (`title: …`, `date: …`, `url: …`).
LINK_MESSAGE = re.compile(r"\A\s*https?://\S+[ \t]*(?:\r?\n|\Z)", re.IGNORECASE)
# Last path segments that say nothing about the article: the page title names the file instead.
_GENERIC_SEGMENTS = {"", "index", "default", "home", "article", "articles", "news", "amp", "story", "post"}
_PAGE_SUFFIXES = {".html", ".htm", ".shtml", ".php", ".asp", ".aspx", ".jsp"}


def split_link_message(raw: str) -> tuple[str, str]:
    """The URL on the first line, and the caption lines after it."""
    first, _, rest = raw.strip().partition("\n")
    return first.strip(), rest


def _slug(words: str, limit: int = 80) -> str:
    ascii_only = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")[:limit].strip("-")


def name_for_link(url: str, title: str, taken: Callable[[str], bool]) -> str:
    """`<slug>.html` from the URL's last path segment, or the page title when the segment is bare."""
    segment = PurePosixPath(unquote(urlparse(url).path)).name
    stem, suffix = os.path.splitext(segment)
    slug = _slug(stem if suffix.lower() in _PAGE_SUFFIXES else segment)
    if slug in _GENERIC_SEGMENTS or slug.isdigit() or len(slug) < 4:
        slug = _slug(title) or _slug(urlparse(url).hostname or "") or "page"
    name, n = f"{slug}.html", 2
    while taken(name):
        name, n = f"{slug}-{n}.html", n + 1
    return name


def same_url(url: str) -> str:
    """A URL as compared for duplicates: no fragment, no trailing slash, case-folded scheme and host."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def page_as_utf8(page: FetchedPage) -> bytes:
    """The page's own bytes when they are UTF-8 (kept faithful), else re-encoded from its charset:
    the server's, else as the reader decodes a saved page (its own `<meta>`, else cp1252)."""
    try:
        page.data.decode("utf-8")
        return page.data
    except UnicodeDecodeError:
        pass
    decoded = None
    if page.charset:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            decoded = page.data.decode(page.charset)
    if decoded is None:
        decoded = html_reader.decode_page(page.data)
    if decoded is None:
        raise Refused("link_not_html", url=page.url, detail="undecodable text")
    return decoded.encode("utf-8")


def _corpus_urls(context: Context, corpus_dir: Path) -> dict[str, str]:
    """Each article URL the corpus already holds, with its file: from the live index and metadata.toml."""
    try:
        documents = _service(context).current().stored.documents
    except IndexUnavailable:  # no index yet: metadata.toml is all there is to compare with
        documents = []
    urls = {same_url(d.url): d.source for d in documents if d.url}
    try:
        # Read as the build reads it: an entry's URL counts only if it is a valid one.
        entries = read_sidecar(corpus_dir, warnings=[])
    except CorpusError:  # an unreadable metadata file: the write that follows will say so
        entries = {}
    for source, entry in entries.items():
        # A removed file's entry is kept for when it comes back, but it is not in the corpus now.
        if entry.url and (corpus_dir / source).is_file():
            urls.setdefault(same_url(entry.url), source)
    return urls


def save_link_page(corpus_dir: Path, page: FetchedPage, data: bytes, title: str, metadata: dict[str, str]) -> str:
    """Write the fetched page under a free name (in the corpus, removed/ and metadata.toml); its name."""
    root = corpus_dir.resolve()
    described = read_metadata_names(corpus_dir)

    def taken(name: str) -> bool:
        return (root / name).exists() or (removed_dir(corpus_dir) / name).exists() or name in described

    name = name_for_link(page.url, title, taken)
    write_upload(corpus_dir, name, data, metadata)
    return name


def _read_page(data: bytes, url: str) -> ReadArticle:
    """The page as the build will read it: a page with no article text is refused now, not skipped later."""
    try:
        return html_reader.read(data, "page.html")
    except Unreadable as error:
        raise Refused("link_no_text", url=url, detail=str(error)) from None


async def link_message(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    if not handlers._from_a_person(update):
        return
    url, caption = split_link_message(message.text)
    if not _is_admin(update, context):
        if caption.strip():  # a link with words around it is a question like any other
            await handlers.private_text(update, context)
        else:
            await _reply(update, text("link_admins_only", _lang(update)))
        return
    lang = _lang(update)
    settings = _settings(context)
    try:
        metadata = parse_caption(caption)
        # A page may take up to LINK_TIMEOUT_SECONDS: "typing…" tells the admin it is being fetched.
        with contextlib.suppress(TelegramError):
            await message.chat.send_action(ChatAction.TYPING)
        try:
            page = await fetch_page(
                url,
                timeout=settings.link_timeout_seconds,
                max_bytes=settings.max_file_bytes,
                allow_private=settings.link_allow_private,
            )
        except LinkError as error:
            raise Refused(
                f"link_{error.kind}",
                url=url,
                detail=error.detail,
                seconds=f"{settings.link_timeout_seconds:g}",
                limit=settings.max_file_bytes,
            ) from None
        data = page_as_utf8(page)
        article = await asyncio.to_thread(_read_page, data, page.url)
        # current() may load a newer index from disk: not on the event loop.
        known = await asyncio.to_thread(_corpus_urls, context, settings.corpus_dir)
        for candidate in (url, page.url, article.url, metadata.get("url")):
            if candidate and same_url(candidate) in known:
                raise Refused("link_duplicate", url=candidate, existing=known[same_url(candidate)])
        if "url" not in metadata and not article.url:
            metadata["url"] = page.url  # the page names no canonical URL: keep where it came from
        title = metadata.get("title") or article.title
        name = await _write_for_rebuild(
            context, lambda: save_link_page(settings.corpus_dir, page, data, title, metadata)
        )
    except Refused as refusal:
        await _say_refused(update, refusal, lang)
        return
    except OSError as error:
        log.warning("could not save the page fetched from %s: %s", url, error)
        await _reply(update, text("upload_failed", lang, reason=render.escape(str(error))))
        return
    await _reply(update, text("link_saved", lang, url=render.escape(page.url), name=render.escape(name)))
    await rebuild_and_report(update, context, lang, lambda: _citation_line(context, name, lang))
