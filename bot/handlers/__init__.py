"""The bot's handlers, one module per family, each a small async function per kind of update, as in
python-telegram-bot's examples; `bot/app.py` registers them all.

- `questions`: private text, group messages addressed to the bot, /ask, /start, /help, /sources,
  unknown commands, messages that are no text
- `buttons`: More and Full text under an answer
- `votes`: 👍 / 👎 under an answer, /feedback
- `inline`: `@bot question` in any chat
- `admin`: /reindex, /stats, and the rebuild that every change of the corpus ends with
- `corpus_changes`: documents and links sent by admins, /remove
- `errors`: the error handler

Every handler gets a `bot.context.BotContext`; blocking work (searching, loading, writing the
corpus) runs in worker threads through `asyncio.to_thread`, never on the event loop.
"""
