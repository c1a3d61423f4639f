"""Rasa input channels with the citizen-protection rules applied at the entrance."""
