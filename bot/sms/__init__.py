"""SMS through GatewayAPI: GSM-7 text, parts, the SMS database, notifications and the worker.

The Rasa input channel itself is ``bot.rasa.channels.gatewayapi``.
"""
