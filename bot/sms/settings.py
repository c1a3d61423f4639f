"""The SMS section of the settings (``bot.settings``); secrets never have defaults."""

from bot.settings import SmsSettings

# A concatenated SMS carries 153 GSM-7 characters per part (160 minus the joining header).
PART_LIMIT = 153

__all__ = ["PART_LIMIT", "SmsSettings"]
