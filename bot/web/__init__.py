"""The staff web app: health check, today's bookings and a calendar feed for Fronten."""

from bot.web.app import create_app

__all__ = ["create_app"]
