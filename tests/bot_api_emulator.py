"""A Bot API emulator on 127.0.0.1: enough of Telegram for the real `Application` to run against.

It serves `/bot<token>/<method>` like api.telegram.org: long-polled getUpdates with offsets,
sendMessage and editMessageText with Telegram's checks (HTML entities must parse, at most 4096
characters after parsing, no empty text), answerCallbackQuery and the rest. Every request is
recorded, so tests assert on exactly what the bot sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

MAX_TEXT = 4096
MAX_INLINE_RESULTS = 50
# Telegram's HTML mode: these tags only, and only these named entities.
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=\"[^\"]*\"|='[^']*'|=[^\s>\"']+)?)*)\s*(/?)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_ENTITY_TEXT = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class BadRequest(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def parse_html(text: str) -> str:
    """The visible text of a Telegram HTML message, or BadRequest as Telegram words it."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        offset = len(text[:i].encode("utf-8"))
        if char == "<":
            match = _TAG.match(text, i)
            if not match:
                raise BadRequest(
                    f"Bad Request: can't parse entities: Unexpected end of name token at byte offset {offset}"
                )
            closing, name, attributes, self_closing = (
                match.group(1),
                match.group(2).lower(),
                match.group(3),
                match.group(4),
            )
            if name not in ALLOWED_TAGS:
                raise BadRequest(
                    f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}'
                )
            if closing:
                if not stack or stack[-1] != name:
                    expected = f', expected "</{stack[-1]}>"' if stack else ""
                    raise BadRequest(
                        f"Bad Request: can't parse entities: Unmatched end tag at byte offset {offset}{expected}, "
                        f'found "</{name}>"'
                    )
                stack.pop()
            elif not self_closing:
                if name == "a" and "href=" not in attributes:
                    raise BadRequest(
                        f'Bad Request: can\'t parse entities: Tag "a" must have href at byte offset {offset}'
                    )
                if name == "a" and "a" in stack:
                    raise BadRequest("Bad Request: can't parse entities: nested links are not allowed")
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(text, i)
            if not match:
                raise BadRequest(
                    "Bad Request: can't parse entities: Character '&' is reserved and must be escaped "
                    f"at byte offset {offset}"
                )
            name = match.group(1)
            if name.startswith("#x"):
                out.append(chr(int(name[2:], 16)))
            elif name.startswith("#"):
                out.append(chr(int(name[1:])))
            else:
                out.append(_ENTITY_TEXT[name])
            i = match.end()
        elif char == ">":
            raise BadRequest(f"Bad Request: can't parse entities: Character '>' is reserved at byte offset {offset}")
        else:
            out.append(char)
            i += 1
    if stack:
        raise BadRequest(
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    return "".join(out)


def telegram_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    method: str
    params: dict
    at: float = field(default_factory=time.monotonic)
    ok: bool = True
    result: object = None


class BotApiEmulator:
    def __init__(self, token: str, username: str = "citebot_test_bot", bot_id: int = 4242) -> None:
        self.token = token
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Citebot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.calls: list[Call] = []
        # Called with each recorded call, as it is recorded (a benchmark's bookkeeping).
        self.listeners: list[Callable[[Call], None]] = []
        self.failing: dict[str, tuple[int, str]] = {}  # method -> (status, description), to test failures
        # method -> failures for its next calls, e.g. [(429, "Too Many Requests: retry after 1")]
        self.fail_next: dict[str, list[tuple[int, str]]] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self.webhook: dict | None = None
        self.files: dict[str, bytes] = {}  # file_id -> bytes, served by getFile and /file/bot<token>/
        self._file_ids = itertools.count(1)
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self.inline_queries: dict[str, dict] = {}  # id -> the inline_query update's payload
        self.inline_answers: dict[str, dict] = {}  # id -> answerInlineQuery's parameters, results parsed
        self._inline_ids = itertools.count(1)
        self._new_update = asyncio.Condition()
        self._new_call = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # Server ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_URL is set to: python-telegram-bot appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._download)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params = await self._params(request)
        call = Call(method, params)
        try:
            failure = self.failing.get(method) or (
                self.fail_next[method].pop(0) if self.fail_next.get(method) else None
            )
            if failure is not None:
                status, description = failure
                call.ok = False
                body: dict = {"ok": False, "error_code": status, "description": description}
                if status == 429:
                    body["parameters"] = {"retry_after": 1}
                return web.json_response(body, status=status)
            handler = getattr(self, f"_api_{method.lower()}", None)
            if handler is None:
                call.ok = False
                return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
            try:
                result = await handler(params) if asyncio.iscoroutinefunction(handler) else handler(params)
            except BadRequest as error:
                call.ok, call.result = False, error.description
                return web.json_response({"ok": False, "error_code": 400, "description": error.description}, status=400)
            call.result = result
            return web.json_response({"ok": True, "result": result})
        finally:
            if method != "getUpdates":
                self.calls.append(call)
                for listener in self.listeners:
                    listener(call)
                async with self._new_call:
                    self._new_call.notify_all()

    @property
    def file_url(self) -> str:
        """What TELEGRAM_FILE_URL is set to."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        file_id = request.match_info["file_path"].removeprefix("documents/")
        if file_id not in self.files:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    @staticmethod
    async def _params(request: web.Request) -> dict:
        if request.content_type == "application/json":
            return dict(await request.json())
        params: dict = dict(request.query)
        if request.can_read_body:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        for key in ("reply_markup", "commands", "reply_parameters", "link_preview_options", "scope", "allowed_updates"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    # Bot API methods ---------------------------------------------------------------------

    def _api_getme(self, params: dict) -> dict:
        return self.bot

    def _api_sendchataction(self, params: dict) -> bool:
        actions = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice"}
        actions |= {"upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
        if params.get("action") not in actions:
            raise BadRequest("Bad Request: wrong parameter action in request")
        if "chat_id" not in params:
            raise BadRequest("Bad Request: chat_id is empty")
        return True

    def _api_deletewebhook(self, params: dict) -> bool:
        self.webhook = None
        return True

    def _api_setwebhook(self, params: dict) -> bool:
        if not str(params.get("url", "")).startswith("https://"):
            raise BadRequest("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    def _api_setmycommands(self, params: dict) -> bool:
        commands = params.get("commands") or []
        if not all(
            re.fullmatch(r"[a-z0-9_]{1,32}", c["command"]) and 1 <= len(c["description"]) <= 256 for c in commands
        ):
            raise BadRequest("Bad Request: BOT_COMMAND_INVALID")
        return True

    def _api_getfile(self, params: dict) -> dict:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            raise BadRequest("Bad Request: invalid file_id")
        data = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(data),
            "file_path": f"documents/{file_id}",
        }

    def _api_sendchataction(self, params: dict) -> bool:
        return True

    def _api_answercallbackquery(self, params: dict) -> bool:
        if len(params.get("text", "")) > 200:
            raise BadRequest("Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _api_getupdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed ones go
        if not self._updates and timeout:
            async with self._new_update:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait_for(lambda: bool(self._updates)), timeout)
        return self._updates[: int(params.get("limit", 100) or 100)]

    @property
    def unconfirmed_updates(self) -> int:
        """Updates the bot has not confirmed yet: Telegram would send them again after a restart."""
        return len(self._updates)

    def _checked_text(self, params: dict) -> str:
        text = str(params.get("text", ""))
        visible = parse_html(text) if str(params.get("parse_mode", "")).upper() == "HTML" else text
        if not visible.strip():
            raise BadRequest("Bad Request: message text is empty")
        if telegram_length(visible.strip()) > MAX_TEXT:
            raise BadRequest("Bad Request: message is too long")
        keyboard = (params.get("reply_markup") or {}).get("inline_keyboard", [])
        for row in keyboard:
            for button in row:
                if "callback_data" in button and not 1 <= len(button["callback_data"].encode()) <= 64:
                    raise BadRequest("Bad Request: BUTTON_DATA_INVALID")
        return visible.strip()

    def _api_sendmessage(self, params: dict) -> dict:
        chat_id = int(params["chat_id"])
        visible = self._checked_text(params)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot,
            "text": visible,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = message | {"html": params.get("text")}
        return message

    def _api_editmessagetext(self, params: dict) -> dict:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise BadRequest("Bad Request: message to edit not found")
        visible = self._checked_text(params)
        if visible == self.messages[key]["text"]:
            raise BadRequest("Bad Request: message is not modified")
        message = dict(self.messages[key], text=visible, edit_date=int(time.time()), html=params.get("text"))
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[key] = message
        return {k: v for k, v in message.items() if k != "html"}

    # What a test does as a Telegram user -------------------------------------------------

    @staticmethod
    def _chat(chat_id: int) -> dict:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    @staticmethod
    def user(user_id: int, language_code: str | None = "en", is_bot: bool = False) -> dict:
        user = {"id": user_id, "is_bot": is_bot, "first_name": f"User{user_id}"}
        if language_code:
            user["language_code"] = language_code
        return user

    def _push(self, kind: str, payload: dict) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        asyncio.get_running_loop().create_task(self._wake())
        return update_id

    def push(self, kind: str, payload: dict) -> int:
        """Any update exactly as given (entities anywhere, raw callback data, no sender, an edit): a fuzzer's
        way in, where the helpers below build what Telegram itself would send. Call it on the event loop."""
        return self._push(kind, payload)

    async def _wake(self) -> None:
        async with self._new_update:
            self._new_update.notify_all()

    def message(self, chat_id: int, user: dict, **content: object) -> dict:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": user,
            **content,
        }

    def send_text(
        self, chat_id: int, user: dict, text: str, reply_to: dict | None = None, kind: str = "message"
    ) -> dict:
        """A text message from `user`, with the entities Telegram would mark (commands, mentions)."""
        entities = []
        for match in re.finditer(r"(?<!\S)/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text):
            if match.start() == 0:
                entities.append({"type": "bot_command", "offset": match.start(), "length": len(match.group())})
        for match in re.finditer(r"(?<![\w@])@[A-Za-z0-9_]{5,}", text):
            entities.append({"type": "mention", "offset": match.start(), "length": len(match.group())})
        content: dict = {"text": text}
        if entities:
            content["entities"] = entities
        if reply_to is not None:
            content["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "html"}
        message = self.message(chat_id, user, **content)
        self._push(kind, message)
        return message

    def send_sticker(self, chat_id: int, user: dict) -> dict:
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "s1",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
        message = self.message(chat_id, user, sticker=sticker)
        self._push("message", message)
        return message

    def send_document(
        self, chat_id: int, user: dict, file_name: str, data: bytes, file_size: int | None = None, caption: str = ""
    ) -> dict:
        """A document from `user`; its bytes are served to the bot by getFile and the file route.

        `file_size` overrides the announced size, as a test of the check made before downloading.
        """
        file_id = f"doc{next(self._file_ids)}"
        self.files[file_id] = data
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": "application/octet-stream",
            "file_size": len(data) if file_size is None else file_size,
        }
        content: dict = {"document": document}
        if caption:
            content["caption"] = caption
        message = self.message(chat_id, user, **content)
        self._push("message", message)
        return message

    def press(self, user: dict, message: dict, data: str) -> str:
        """The user taps an inline button of `message` (a message the bot sent)."""
        query_id = str(next(self._callback_ids))
        visible = {k: v for k, v in message.items() if k != "html"}
        self._push(
            "callback_query", {"id": query_id, "from": user, "message": visible, "chat_instance": "ci", "data": data}
        )
        return query_id

    # Inline mode -------------------------------------------------------------------------

    def inline_query(self, user: dict, query: str, offset: str = "", chat_type: str | None = "private") -> str:
        """`user` types `@bot query` in a chat of `chat_type`; returns the query id the answer refers to."""
        query_id = f"iq{next(self._inline_ids)}"
        payload: dict = {"id": query_id, "from": user, "query": query, "offset": offset}
        if chat_type:
            payload["chat_type"] = chat_type
        self.inline_queries[query_id] = payload
        self._push("inline_query", payload)
        return query_id

    def _api_answerinlinequery(self, params: dict) -> bool:
        """Telegram's checks: a live query answered once, at most 50 results, ids unique and 1-64 bytes,
        and each result's message text as sendMessage would accept it (HTML parses, 4096 characters)."""
        for key in ("results", "button", "cache_time", "is_personal"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        query_id = str(params.get("inline_query_id", ""))
        if query_id not in self.inline_queries or query_id in self.inline_answers:
            raise BadRequest("Bad Request: query is too old and response timeout expired or query ID is invalid")
        results = params.get("results") or []
        if len(results) > MAX_INLINE_RESULTS:
            raise BadRequest("Bad Request: RESULTS_TOO_MUCH")
        ids = [str(result.get("id", "")) for result in results]
        if not all(1 <= len(result_id.encode()) <= 64 for result_id in ids):
            raise BadRequest("Bad Request: RESULT_ID_INVALID")
        if len(set(ids)) != len(ids):
            raise BadRequest("Bad Request: RESULT_ID_DUPLICATE")
        for result in results:
            if result.get("type") == "article" and not str(result.get("title", "")).strip():
                raise BadRequest("Bad Request: RESULT_TITLE_EMPTY")
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._checked_text(
                    {
                        "text": content["message_text"],
                        "parse_mode": content.get("parse_mode", ""),
                        "reply_markup": result.get("reply_markup"),
                    }
                )
        button = params.get("button")
        if button is not None and not (
            str(button.get("text", "")).strip()
            and ("web_app" in button or re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(button.get("start_parameter", ""))))
        ):
            raise BadRequest("Bad Request: BUTTON_INVALID")
        self.inline_answers[query_id] = params
        return True

    async def inline_answer(self, query_id: str, timeout: float = 60.0) -> Call:
        """The bot's answerInlineQuery call for `query_id`, waiting for it if needed."""
        return await self.wait_for(
            lambda c: c.method == "answerInlineQuery" and str(c.params.get("inline_query_id")) == query_id, timeout
        )

    def choose(self, query_id: str, result_id: str, chat_id: int) -> dict:
        """The user picks a result: Telegram posts its message in the chat, from the user, via the bot."""
        query = self.inline_queries[query_id]
        result = next(r for r in self.inline_answers[query_id]["results"] if r["id"] == result_id)
        content = result["input_message_content"]
        visible = self._checked_text({"text": content["message_text"], "parse_mode": content.get("parse_mode", "")})
        message = self.message(chat_id, query["from"], text=visible, via_bot=self.bot)
        self.messages[(chat_id, message["message_id"])] = message | {"html": content["message_text"]}
        return message

    # What a test asserts on --------------------------------------------------------------

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 60.0, after: int = 0) -> Call:
        """The first call (from index `after`) matching `predicate`, waiting for it if needed."""
        deadline = time.monotonic() + timeout
        async with self._new_call:
            while True:
                for call in self.calls[after:]:
                    if predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching Bot API call within {timeout} s; calls: {self.summary()}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_call.wait(), remaining)

    async def reply_to(self, chat_id: int, timeout: float = 60.0, after: int = 0, method: str = "sendMessage") -> Call:
        return await self.wait_for(
            lambda c: c.method == method and str(c.params.get("chat_id")) == str(chat_id), timeout, after
        )

    def summary(self) -> list[str]:
        return [
            f"{c.method}({c.params.get('chat_id', '')}): {str(c.params.get('text', ''))[:60]!r}" for c in self.calls
        ]
