"""What staff learn from the chat: ratings of answers and questions the assistant missed."""

from bot.insights.repository import (
    ANSWER_LIMIT,
    QUESTION_LIMIT,
    RATINGS,
    Feedback,
    InsightsRepository,
    Unanswered,
    shared_insights,
)

__all__ = [
    "ANSWER_LIMIT",
    "QUESTION_LIMIT",
    "RATINGS",
    "Feedback",
    "InsightsRepository",
    "Unanswered",
    "shared_insights",
]
