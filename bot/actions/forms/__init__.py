"""The booking, move and cancel forms, one module each, written the way rasa_sdk intends.

``base`` holds what every form shares (the validation base that checks for "stop" once),
``services`` the injected desk, knowledge base and SMS link, ``commit`` the one template
that stores and confirms what a form agreed on.
"""
