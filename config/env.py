"""The one place that reads the process environment (12-factor, SPEC section 10)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")
