"""Fetching a web page an admin sends as a link: one deadline, a size cap, HTML only, public hosts.

Nothing here knows Telegram or the corpus: it returns the page's bytes, or a LinkError whose
`kind` the bot turns into a message.

A fetched page joins the corpus that every user can search, so by default only public addresses
are fetched, redirects included: a public page that redirects to http://127.0.0.1:8080/admin or a
cloud metadata address would otherwise put an internal page into everyone's answers. The check
is made on every request of the chain, on every address the host resolves to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Literal

import httpx

from index.ingest.readers.html import looks_like_html

LinkErrorKind = Literal["bad_url", "timeout", "too_big", "not_html", "http_status", "unreachable", "private_address"]

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Some sites refuse clients that do not say who they are.
USER_AGENT = "citebot/1.0 (fetching one article an admin asked for)"


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


class PrivateAddress(Exception):
    """A request of the chain would reach a host that is not on the public internet."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(host if host == address else f"{host} = {address}")


async def _addresses(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []  # the connection attempt will report it as unreachable
    return [str(info[4][0]) for info in found]


class PublicOnlyTransport(httpx.AsyncBaseTransport):
    """Wraps a transport; refuses any request whose host resolves to a loopback, private, link-local
    or otherwise non-global address (httpx sends each redirect through the transport again).

    The host is resolved here and again when connecting, so a name that changes its answer in
    between (DNS rebinding) is not caught; a proxy that pins resolved addresses would be.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        for address in await _addresses(host, port):
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise PrivateAddress(host, address)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def fetch_page(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    transport: httpx.AsyncBaseTransport | None = None,
    allow_private: bool = False,
) -> FetchedPage:
    """GET `url` (following redirects) within `timeout` seconds overall, reading at most `max_bytes`;
    unless `allow_private`, only from public addresses."""
    if not url.lower().startswith(("http://", "https://")):
        raise LinkError("bad_url", url)
    if not allow_private:
        transport = PublicOnlyTransport(transport or httpx.AsyncHTTPTransport())
    try:
        # httpx's timeout bounds each connect/read; the overall deadline also stops a server
        # trickling bytes forever.
        async with asyncio.timeout(timeout):
            return await _fetch(url, timeout, max_bytes, transport)
    except PrivateAddress as refused:
        raise LinkError("private_address", str(refused)) from None
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
