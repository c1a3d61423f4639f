from bot.insights.cli import cli

cli()
