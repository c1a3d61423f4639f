"""The web app: the citizens' chat widget, the staff FAQ assistant, bookings and calendar."""

from bot.web.app import create_app

__all__ = ["create_app"]
