"""``nexus.serve()``: the sample project under gunicorn, on the notebook's own database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest

from nexus.database import database_name
from nexus.paths import REPO_ROOT
from nexus.proc import pid_alive, wait_until
from nexus.services.postgres import SERVICE as POSTGRES

SCRIPT = """
import requests, nexus
nexus.start("toolkit-server", quiet=True)
from listings.models import Listing
Listing.objects.filter(pk=1).update(title="Renamed in the notebook")
server = nexus.serve()
assert nexus.serve() is server  # re-running the cell reuses the running server
import time
deadline = time.monotonic() + 10  # the access log line follows the answer by a moment
while "/.nexus-ready" not in server.log_path.read_text() and time.monotonic() < deadline:
    time.sleep(0.1)
print("/.nexus-ready" in server.log_path.read_text())  # serve() waited for a worker's answer
listings = requests.get(server.url("/api/listings/?page_size=5"), timeout=10).json()
print(listings["count"] == Listing.objects.filter(is_active=True).count(),
      listings["results"][0]["title"])
docs = requests.get(server.url("/api/docs/"), timeout=10)
print(docs.status_code, "swagger-ui" in docs.text)
server.stop()
print(server.process.poll() is not None)
"""


@pytest.mark.slow
def test_serve_runs_gunicorn_on_the_notebook_database():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True", "True Renamed in the notebook", "200 True",
                                        "True"]
    with POSTGRES.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name("toolkit-server")}" WITH (FORCE)')


CONFIG_SCRIPT = """
import requests, nexus, time
nexus.start("toolkit-server-config", quiet=True)
server = nexus.serve(config_file="gunicorn.conf.py", env={"WEB_CONCURRENCY": "2"})
health = requests.get(server.url("/healthz"), timeout=10)
print(health.status_code, health.json()["status"])
deadline = time.monotonic() + 15
def logged():  # workers boot and write the access log line a moment after answering
    log = server.log_path.read_text()
    return log.count("Booting worker") >= 2 and '"GET /healthz HTTP/1.1" 200' in log
while not logged() and time.monotonic() < deadline:
    time.sleep(0.1)
log = server.log_path.read_text()
print(log.count("Booting worker"), '"GET /healthz HTTP/1.1" 200' in log)
server.stop()
try:
    nexus.serve(config_file="no-such.conf.py")
except nexus.errors.NexusError as exc:
    print("refused:", "no gunicorn config file" in str(exc.message()))
"""


@pytest.mark.slow
def test_serve_with_the_projects_gunicorn_config_file():
    """``config_file=``: the file decides workers and logging, as in production."""
    done = subprocess.run([sys.executable, "-c", CONFIG_SCRIPT], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["200 ok", "2 True", "refused: True"]
    with POSTGRES.connect() as conn:
        name = database_name("toolkit-server-config")
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


ASGI_SCRIPT = """
import os, requests, nexus
from nexus.load import run_load
nexus.start("toolkit-server-asgi", quiet=True)
try:
    nexus.serve(asgi=True, threads=4)
except nexus.errors.NexusError as exc:
    print("refused:", "WSGI workers only" in str(exc.message()))
link = nexus.SlowLink(os.environ["DATABASE_URL"], delay=0.05)
server = nexus.serve(asgi=True, workers=1, env={"DATABASE_URL": link.url})
assert nexus.serve(asgi=True, workers=1, env={"DATABASE_URL": link.url}) is server
print(repr(server).startswith("<gunicorn (uvicorn workers, ASGI)"))
answer = requests.get(server.url("/api/listings/1/availability/"), timeout=10,
                      params={"check_in": "2031-03-08", "check_out": "2031-03-12"})
print(answer.status_code, answer.headers["server"], answer.json()["nights"])
log = server.log_path.read_text()
print("Using worker: uvicorn_worker.UvicornWorker" in log, log.count("Booting worker"))
# One worker process, four requests waiting on the database at once: each request's
# synchronous part (the ORM's queries) runs in a thread of its own, on a connection of its own.
link.reset()
result = run_load(server.base_url, "/api/listings/1/availability/"
                  "?check_in=2031-03-08&check_out=2031-03-12", total=4, concurrency=4)
print(result.statuses, link.opened, link.peak >= 3)  # a race can make 2 out of 1 at a time
server.stop()
print(server.process.poll() is not None)
"""


@pytest.mark.slow
def test_serve_asgi_runs_config_asgi_under_uvicorns_worker_class():
    """``asgi=True``: gunicorn with uvicorn's worker serves ``config.asgi``, requests at once."""
    done = subprocess.run([sys.executable, "-c", ASGI_SCRIPT], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["refused: True", "True", "200 uvicorn 4", "True 1",
                                        "{200: 4} 4 True", "True"]
    with POSTGRES.connect() as conn:
        name = database_name("toolkit-server-asgi")
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


KILLED_PARENT_SCRIPT = """
import time
from nexus.server import Server
from nexus.worker import Worker
server, worker = Server(workers=1), Worker()
print(server.process.pid, worker.process.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.slow
@pytest.mark.parametrize("tether", [
    pytest.param("prctl", marks=pytest.mark.skipif(not sys.platform.startswith("linux"),
                                                   reason="PR_SET_PDEATHSIG is Linux's")),
    "poll",  # macOS's watchdog, forced here
])
def test_a_server_and_a_worker_die_with_the_python_that_started_them_even_on_sigkill(tether):
    """A kernel killed outright runs no atexit: its gunicorn and Celery worker must not linger."""
    env = os.environ | {"NEXUS_TETHER": tether}
    parent = subprocess.Popen([sys.executable, "-c", KILLED_PARENT_SCRIPT], cwd=REPO_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              env=env)
    try:
        children = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(children) == 2 and all(pid_alive(pid) for pid in children)
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
    assert wait_until(lambda: not any(pid_alive(pid) for pid in children), 20)

    def watchdogs() -> list:  # macOS's tether leaves one per command; it ends with the command
        return [p for p in psutil.process_iter(["cmdline"])
                if "tether.py" in " ".join(p.info["cmdline"] or [])
                and str(parent.pid) in (p.info["cmdline"] or [])]
    assert wait_until(lambda: not watchdogs(), 5), watchdogs()
