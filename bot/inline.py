"""Inline searches shared between users: each query searched once per minute, within a per-user allowance.

Telegram sends a new inline query as the user types, and many users type the same questions, so
searches are shared: an in-process TTL cache keyed by the normalised query and the published index
holds each search (or the search still running) for CACHE_SECONDS, so a rebuild is seen at the next
query, and Telegram's own cache (`cache_time`) spares even the update. The search result is cached
rather than the rendered results, so the language of the texts (from each query and user) and the
question on top of each message stay the asker's own (`bot/handlers/inline.py` renders them).

Quota: only searches count, against a per-user inline allowance of SEARCHES_PER_QUESTION times the
question quota (QUESTIONS_PER_MINUTE), kept apart from it: typing one question sends several queries,
and a cached answer costs nothing, so it is free.
"""

from __future__ import annotations

import asyncio

from cachetools import TTLCache
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from bot.service import RetrievalService
from index.models import SearchResult
from index.search.question import DETECT, Detection

# Passages listed per query (Telegram allows up to 50 results).
RESULTS = 10
CACHE_SECONDS = 60
CACHE_SIZE = 4096
SEARCHES_PER_QUESTION = 3


def normalise(query: str) -> str:
    """The cache key: "What  about QATAR?" and "what about qatar?" are one search."""
    return " ".join(query.split()).casefold()


class MemoryQuota:
    """A per-user allowance per minute kept in memory, for inline searches.

    Telegram sends a query at each pause in typing; losing that count on a restart gives a user at
    most one more minute of typing, which is not worth a write per keystroke.
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._item = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, user_id: int) -> bool:
        return self._limiter.hit(self._item, "inline", str(user_id))


class InlineSearches:
    """Searches shared by everyone typing the same query within CACHE_SECONDS, and the inline quota."""

    def __init__(self, per_minute: int) -> None:
        self.quota = MemoryQuota(per_minute)
        self._cache: TTLCache[tuple[object, str], asyncio.Task[SearchResult]] = TTLCache(
            maxsize=CACHE_SIZE, ttl=CACHE_SECONDS
        )

    async def search(
        self, service: RetrievalService, query: str, user_id: int, lang: str | Detection | None = DETECT
    ) -> SearchResult | None:
        """The result for `query`, searched once per CACHE_SECONDS; None when `user_id` is over quota.

        `lang` is the language detected in `query` (see RetrievalService.search)."""
        # A rebuild changes the stamp: its first query searches the new index instead of a cached answer.
        key = (service.index_stamp(), normalise(query))
        pending = self._cache.get(key)
        if pending is None:
            if not self.quota.allow(user_id):
                return None
            # The task, not its result, is cached: identical queries arriving mid-search wait for this one.
            pending = asyncio.create_task(asyncio.to_thread(service.search, query, RESULTS, lang))
            self._cache[key] = pending
        try:
            # Shielded: one asker's cancelled update must not cancel the search the others wait for.
            return await asyncio.shield(pending)
        except Exception:
            if self._cache.get(key) is pending:
                del self._cache[key]
            raise
