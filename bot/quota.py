"""How many questions one user may ask per minute, counted in the state file so a restart keeps it."""

from __future__ import annotations

from bot.state import StateStore


class QuestionQuota:
    def __init__(self, store: StateStore, per_minute: int) -> None:
        self.store = store
        self.per_minute = per_minute

    async def allow(self, user_id: int) -> bool:
        """Count one question for `user_id`; False when the last minute already holds the limit."""
        return await self.store.count_question(user_id, self.per_minute)
