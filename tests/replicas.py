"""`citebot serve --webhook` replicas in their own processes, and updates posted to them as a load
balancer would: for the replica test and `bench/bot_latency.py --replicas`.

Each replica replies through the Bot API emulator (TELEGRAM_API_URL); the updates a test makes with
the helpers below go straight to the replica it picks, never through the emulator's getUpdates.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
SECRET = "replica-secret-token"
HOOK_PATH = "telegram-hook"
_update_ids = itertools.count(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Replica:
    """One `citebot serve --webhook` process listening on 127.0.0.1:`port`."""

    name: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    log: str = ""

    @property
    def hook(self) -> str:
        return f"http://127.0.0.1:{self.port}/{HOOK_PATH}"

    async def start(self) -> None:
        env = self.env | {"WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(self.port)}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "citebot.cli",
            "serve",
            "--webhook",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._stderr = asyncio.create_task(self._read_log())

    async def _read_log(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        async for line in self.process.stderr:
            self.log += line.decode(errors="replace")

    async def wait_listening(self, session: aiohttp.ClientSession, timeout: float = 180.0) -> None:
        """Until its webhook server answers (a request without the secret is refused with 403)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.process is not None and self.process.returncode is not None:
                raise AssertionError(f"replica {self.name} exited ({self.process.returncode}): {self.log}")
            try:
                async with session.post(self.hook, json={}) as response:
                    if response.status == 403:
                        return
            except aiohttp.ClientConnectionError:
                pass
            if loop.time() > deadline:
                raise AssertionError(f"replica {self.name} did not listen within {timeout} s: {self.log}")
            await asyncio.sleep(0.2)

    async def post(self, session: aiohttp.ClientSession, update: dict) -> None:
        """Deliver one update, as Telegram (through a load balancer) would."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with session.post(self.hook, json=update, headers=headers) as response:
            if response.status != 200:
                raise AssertionError(f"replica {self.name} answered the webhook with HTTP {response.status}")

    async def stop(self) -> int | None:
        """Ctrl-C, as an operator would; its exit code."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), 60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await self._stderr
        return self.process.returncode


def replica_env(api_url: str, token: str, index_dir: Path, corpus_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a replica: this checkout's code, no setting inherited from the caller's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "ADMIN_", "WEBHOOK_", "STATE_", "QUESTIONS_", "REBUILD_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_URL=api_url,
        INDEX_DIR=str(index_dir),
        CORPUS_DIR=str(corpus_dir),
        # The public address Telegram would call; the load balancer (the test) posts to each replica.
        WEBHOOK_URL=f"https://bot.example.org/{HOOK_PATH}",
        WEBHOOK_SECRET_TOKEN=SECRET,
    )
    env.update(settings)
    return env


# Updates, as Telegram sends them -----------------------------------------------------------


def text_update(emulator, chat_id: int, user: dict, text: str, reply_to: dict | None = None) -> dict:
    """A text message from `user`, with the command entity Telegram marks at its start."""
    content: dict = {"text": text}
    command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
    if command:
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.group())}]
    if reply_to is not None:
        content["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "html"}
    return {"update_id": next(_update_ids), "message": emulator.message(chat_id, user, **content)}


def press_update(user: dict, message: dict, data: str) -> dict:
    """`user` taps an inline button of `message` (a message the bot sent, from emulator.messages)."""
    update_id = next(_update_ids)
    visible = {k: v for k, v in message.items() if k != "html"}
    query = {"id": f"cb{update_id}", "from": user, "message": visible, "chat_instance": "ci", "data": data}
    return {"update_id": update_id, "callback_query": query}
