"""Fetching a web page an admin sends as a link: one deadline, a size cap, HTML only.

Nothing here knows Telegram or the corpus: it returns the page's bytes, or a LinkError whose
`kind` the bot turns into a message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

import httpx

LinkErrorKind = Literal["bad_url", "timeout", "too_big", "not_html", "http_status", "unreachable"]

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Some sites refuse clients that do not say who they are.
USER_AGENT = "citebot/1.0 (fetching one article an admin asked for)"
# What the start of any HTML page holds, whatever the server claims.
_HTML_MARKERS = (b"<html", b"<body", b"<!doctype html", b"<head", b"<article", b"<title")


class LinkError(Exception):
    """The page could not be fetched as an HTML article; `kind` says why, `detail` gives figures."""

    def __init__(self, kind: LinkErrorKind, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind: LinkErrorKind = kind
        self.detail = detail


@dataclass(frozen=True)
class FetchedPage:
    data: bytes
    # After redirects: the address the bytes really came from.
    url: str
    content_type: str
    # The charset the server declared, if any.
    charset: str | None


def looks_like_html(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return any(marker in head for marker in _HTML_MARKERS)


async def fetch_page(
    url: str, *, timeout: float, max_bytes: int, transport: httpx.AsyncBaseTransport | None = None
) -> FetchedPage:
    """GET `url` (following redirects) within `timeout` seconds overall, reading at most `max_bytes`."""
    if not url.lower().startswith(("http://", "https://")):
        raise LinkError("bad_url", url)
    try:
        # httpx's timeout bounds each connect/read; the overall deadline also stops a server
        # trickling bytes forever.
        async with asyncio.timeout(timeout):
            return await _fetch(url, timeout, max_bytes, transport)
    except TimeoutError:
        raise LinkError("timeout", f"{timeout:g} s") from None
    except httpx.TimeoutException:
        raise LinkError("timeout", f"{timeout:g} s") from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
        raise LinkError("bad_url", str(error)) from None
    except httpx.TooManyRedirects:
        raise LinkError("http_status", "too many redirects") from None
    except (httpx.TransportError, httpx.DecodingError) as error:
        raise LinkError("unreachable", str(error) or type(error).__name__) from None


async def _fetch(url: str, timeout: float, max_bytes: int, transport: httpx.AsyncBaseTransport | None) -> FetchedPage:
    async with (
        httpx.AsyncClient(
            follow_redirects=True,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"},
            transport=transport,
        ) as client,
        client.stream("GET", url) as response,
    ):
        if response.status_code >= 400:
            raise LinkError("http_status", f"{response.status_code} {response.reason_phrase}".strip())
        content_type = response.headers.get("content-type", "")
        media_type = content_type.split(";")[0].strip().lower()
        if media_type and media_type not in HTML_TYPES:
            raise LinkError("not_html", media_type)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise LinkError("too_big", declared)
        body = bytearray()
        # Decoded (decompressed) bytes are counted, so a small gzip bomb is stopped too.
        async for piece in response.aiter_bytes():
            body += piece
            if len(body) > max_bytes:
                raise LinkError("too_big", f"more than {max_bytes}")
        data = bytes(body)
        if not looks_like_html(data):
            raise LinkError("not_html", media_type or "no content type")
        return FetchedPage(data, str(response.url), media_type or "text/html", response.charset_encoding)
