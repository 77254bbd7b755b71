"""Tests of the Telegram bot through the Bot API emulator."""
