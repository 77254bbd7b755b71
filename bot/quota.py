"""How many questions one user may ask per minute."""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class QuestionQuota:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._item = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, user_id: int) -> bool:
        """Count one question for `user_id`; False when the last minute already holds the limit."""
        return self._limiter.hit(self._item, "questions", str(user_id))
