"""Service settings, read from ``FLEETPLAN_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from fleetplan.corridor import default_data_dir


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLEETPLAN_")

    data_dir: Path = Field(default_factory=default_data_dir, description="corridor data directory")
