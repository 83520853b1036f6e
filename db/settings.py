"""The one place that reads the environment.

`Settings` is read once by entry points (CLI, flows, app) and passed down; library code
takes explicit arguments. Every field can be set with an environment variable of prefix
`HANDSOFF_` (for example `HANDSOFF_DATABASE_URL`) or in a `.env` file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The admin credential that the demo uses; refused everywhere else.
DEMO_ADMIN_PASSWORD = "handsoff-demo"
# Shorter admin passwords are refused outside the demo: the page exports unblinded answers.
MIN_ADMIN_PASSWORD_CHARS = 12


def default_home() -> Path:
    return Path.home() / ".handsoff"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANDSOFF_", env_file=".env", extra="ignore")

    home: Path = Field(default_factory=default_home, description="Data directory root.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is an SQLite file under `home`. "
        "Use postgresql+psycopg://user:pass@host/db for shared use.",
    )
    profile: str = Field(default="paper", description="Model profile name.")
    profiles_file: Path | None = Field(default=None, description="TOML of user profiles.")
    models_dir: Path | None = Field(
        default=None, description="Where tiny models are built; default `home`/models."
    )
    device: str = Field(default="auto", description="auto, cpu, cuda, cuda:N or mps.")
    max_image_pixels: int = Field(default=4096 * 4096, gt=0)
    max_instruction_chars: int = Field(default=500, gt=0)
    auto_migrate: bool = Field(
        default=True,
        description="Upgrade the schema to head when a command finds it behind "
        "(set false on shared databases whose migrations an operator runs).",
    )
    sqlite_busy_timeout_s: float = Field(
        default=30.0,
        ge=0,
        description="SQLite: how long a writer waits for another writer's lock before the "
        "command fails with `database locked` (exit 11). WAL mode lets readers go on meanwhile.",
    )
    postgres_lock_timeout_s: float = Field(
        default=0.0,
        ge=0,
        description="PostgreSQL: how long a statement waits for a row or table lock held by "
        "another session before the command fails with `database locked` (exit 11); "
        "0 waits as long as it takes (PostgreSQL's own default).",
    )
    environment: Literal["development", "demo", "production"] = "development"
    admin_password: SecretStr = SecretStr(DEMO_ADMIN_PASSWORD)
    # Failed admin sign-ins: each one doubles the wait before the next attempt (from the
    # base, up to the cap); `admin_lockout_failures` failures within the window lock the
    # sign-in for `admin_lockout_seconds`, even for the right password.
    admin_backoff_base_seconds: float = Field(default=1.0, ge=0)
    admin_backoff_max_seconds: float = Field(default=60.0, ge=0)
    admin_lockout_failures: int = Field(default=10, gt=0)
    admin_lockout_window_seconds: float = Field(default=900.0, gt=0)
    admin_lockout_seconds: float = Field(default=900.0, ge=0)
    app_host: str = "127.0.0.1"
    app_port: int = 8501
    app_base_url: str | None = Field(
        default=None, description="Public base URL of the annotation app, for study links."
    )

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.home / 'handsoff.db'}"
        if self.models_dir is None:
            self.models_dir = self.home / "models"
        return self

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def url(self) -> str:
        assert self.database_url is not None
        return self.database_url

    @property
    def study_base_url(self) -> str:
        return self.app_base_url or f"http://{self.app_host}:{self.app_port}"

    def admin_password_is_default(self) -> bool:
        return self.admin_password.get_secret_value() == DEMO_ADMIN_PASSWORD

    def admin_password_problem(self) -> str | None:
        """Why the admin page must stay disabled (None: the password may be used). The demo
        accepts any password, its default included."""
        if self.environment == "demo":
            return None
        password = self.admin_password.get_secret_value()
        if not password:
            return "HANDSOFF_ADMIN_PASSWORD is empty"
        if password == DEMO_ADMIN_PASSWORD:
            return "HANDSOFF_ADMIN_PASSWORD is the demo default"
        if len(password) < MIN_ADMIN_PASSWORD_CHARS:
            return f"HANDSOFF_ADMIN_PASSWORD is shorter than {MIN_ADMIN_PASSWORD_CHARS} characters"
        return None

    def redacted_url(self) -> str:
        """The database URL with any password hidden, safe to print or log."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
