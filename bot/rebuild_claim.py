"""One rebuild at a time across every process that shares the state (replicas behind a load
balancer): the claim is a lease in the state store, renewed while the rebuild runs.

A lease rather than PostgreSQL's advisory lock on a held connection: it works the same on the SQLite
file and on PostgreSQL (one code path, one migration, tested on both), it survives a connection
pooler in transaction mode (which breaks session locks), and a `/reindex cancel` sent to another
replica reaches the holder through the same row. The cost: a holder killed outright blocks the next
rebuild until its lease expires (REBUILD_LEASE_SECONDS, 30 s by default), where a lock would go with
the connection. Two builds of one index still never overlap: the build itself holds a lock file in
INDEX_DIR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable

from bot.state import Renewal, StateStore

log = logging.getLogger(__name__)

LEASE = "rebuild"
# Renewals per lease period: a few missed renewals (a slow database) do not lose it.
RENEWALS = 6


class RebuildClaim:
    def __init__(self, state: StateStore, seconds: float) -> None:
        self.state = state
        self.seconds = seconds
        self.holder: str | None = None  # this process's token while it holds the claim
        self._renewing: asyncio.Task | None = None
        self._cancel: Callable[[], None] | None = None
        self._cancel_asked = False

    async def take(self) -> bool:
        """Hold the claim (renewed in the background until `release`); False if another process holds it."""
        holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        if not await self.state.take_lease(LEASE, holder, self.seconds):
            return False
        self.holder, self._cancel, self._cancel_asked = holder, None, False
        self._renewing = asyncio.create_task(self._renew(holder), name="rebuild-claim-renewal")
        return True

    def on_cancel(self, cancel: Callable[[], None]) -> None:
        """Call `cancel` when another process asks this one's rebuild to stop (at once if it already did)."""
        self._cancel = cancel
        if self._cancel_asked:
            cancel()

    async def ask_cancel(self) -> bool:
        """Ask the process holding the claim to cancel its rebuild; False if none holds it."""
        return await self.state.ask_lease_cancel(LEASE)

    async def release(self) -> None:
        holder, task = self.holder, self._renewing
        self.holder, self._renewing, self._cancel = None, None, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if holder is not None:
            try:
                await self.state.release_lease(LEASE, holder)
            except Exception as error:  # the lease then expires by itself
                log.warning("could not release the rebuild claim (it expires in %.0f s): %s", self.seconds, error)

    async def _renew(self, holder: str) -> None:
        while True:
            await asyncio.sleep(self.seconds / RENEWALS)
            try:
                renewal = await self.state.renew_lease(LEASE, holder, self.seconds)
            except Exception as error:  # try again at the next turn, the lease has time left
                log.warning("could not renew the rebuild claim: %s", error)
                continue
            if renewal is Renewal.LOST:
                # Only after this process stalled a whole lease period; the index's build lock still
                # keeps a second build off it.
                log.warning("the rebuild claim expired and another process took it")
                return
            if renewal is Renewal.CANCEL_ASKED and not self._cancel_asked:
                self._cancel_asked = True
                log.info("another process asked to cancel this rebuild")
                if self._cancel is not None:
                    self._cancel()
