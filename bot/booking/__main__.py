from bot.booking.cli import cli

cli()
