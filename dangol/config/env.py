"""Reading settings from the environment.

Every setting of Dangol comes from an environment variable prefixed ``DANGOL_``;
nothing is read from files. With nothing set, Dangol runs on an SQLite file in
the data folder.
"""

import os
from pathlib import Path


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(f"DANGOL_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(f"DANGOL_{name}")
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"DANGOL_{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(f"DANGOL_{name}")
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"DANGOL_{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(f"DANGOL_{name}")
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    """The folder for the embedded database, uploads and the local task queue."""
    path = Path(env_str("DATA_DIR", str(Path.cwd() / "var"))).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
