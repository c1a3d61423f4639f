from bot.knowledge.cli import cli

cli()
