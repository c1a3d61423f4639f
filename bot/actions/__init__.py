"""Custom actions, one module per topic. rasa_sdk imports every module in this package."""
