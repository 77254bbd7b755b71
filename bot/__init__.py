"""The Telegram face of citebot (python-telegram-bot v22); see the bot issue."""
