"""Settings read from the environment, with defaults that work from a fresh clone."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Paths and choices that differ between a laptop, CI and production.

    Attributes:
        data_dir: Folder for runtime data (databases). ``BOT_DATA_DIR``.
        knowledge_dir: Folder with the knowledge YAML files. ``KNOWLEDGE_DIR``.
        knowledge_db: SQLite file built from the knowledge files. ``KNOWLEDGE_DB``.
        municipality: The municipality the assistant answers for. ``MUNICIPALITY``.

    """

    data_dir: Path
    knowledge_dir: Path
    knowledge_db: Path
    municipality: str

    @classmethod
    def from_env(cls) -> Settings:
        """Reads the settings from the environment.

        Returns:
            The settings, relative paths resolved against the project root.

        """
        data_dir = _path(os.environ.get("BOT_DATA_DIR", "var"))
        return cls(
            data_dir=data_dir,
            knowledge_dir=_path(os.environ.get("KNOWLEDGE_DIR", "knowledge")),
            knowledge_db=_path(os.environ.get("KNOWLEDGE_DB", str(data_dir / "knowledge.db"))),
            municipality=os.environ.get("MUNICIPALITY", "Ballerup"),
        )


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path
