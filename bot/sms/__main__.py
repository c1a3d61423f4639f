from bot.sms.cli import cli

cli()
