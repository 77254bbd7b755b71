"""How many questions one user may ask per minute, counted in the state file so a restart keeps it."""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from bot.state import StateStore


class QuestionQuota:
    def __init__(self, store: StateStore, per_minute: int) -> None:
        self.store = store
        self.per_minute = per_minute

    async def allow(self, user_id: int) -> bool:
        """Count one question for `user_id`; False when the last minute already holds the limit."""
        return await self.store.count_question(user_id, self.per_minute)


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
