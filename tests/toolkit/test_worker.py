"""nexus.worker and `nexus worker`: a real Celery worker process, its handle and its errors."""

from __future__ import annotations

import os
import uuid

import pytest
from kombu import Connection

import nexus
from config import celery_app
from nexus.errors import NexusError
from nexus.proc import free_port
from nexus.worker import TaskEvent, Worker, broker_url, check_broker, purge_queue, queue_length

from .conftest import run_nexus


def project_tasks() -> list[str]:
    """Every task the project's apps define, as a worker loads them: importing the default
    modules runs the app's autodiscovery of each app's tasks.py. Only the apps' own: in this
    process the exercise checks have also registered learners' @shared_task answers."""
    from django.apps import apps

    celery_app.loader.import_default_modules()
    labels = {config.name for config in apps.get_app_configs()}
    return sorted(name for name in celery_app.tasks if name.split(".")[0] in labels)


@pytest.fixture
def queue() -> str:
    name = f"nexus-toolkit-test-{uuid.uuid4().hex[:8]}"
    yield name
    purge_queue(name)


def publish(queue: str, count: int) -> None:
    with Connection(broker_url()) as conn:
        producer = conn.Producer()
        for number in range(count):
            producer.publish({"n": number}, routing_key=queue, declare=[conn.SimpleQueue(
                queue).queue], serializer="json")


def test_queue_length_and_purge_work_on_the_broker_in_use(queue):
    assert queue_length(queue) == 0
    publish(queue, 3)
    assert queue_length(queue) == 3
    assert purge_queue(queue) == 3
    assert queue_length(queue) == 0


@pytest.mark.slow
def test_a_worker_starts_answers_and_stops(queue):
    worker = Worker(env={"CELERY_TASK_DEFAULT_QUEUE": queue})
    try:
        assert worker.alive() and worker.queue == queue
        assert worker.inspect().registered() == project_tasks()
        stats = worker.inspect().stats()
        assert stats["prefetch_count"] == 1
        assert stats["pool"]["max-concurrency"] == 1
        assert worker.inspect().active() == []
        assert "ready." in worker.log_path.read_text()
    finally:
        worker.stop()
    assert not worker.alive()
    worker.stop()  # stopping twice is harmless


@pytest.mark.slow
def test_kill_is_immediate_and_a_dead_worker_fails_until_readably(queue):
    worker = Worker(env={"CELERY_TASK_DEFAULT_QUEUE": queue})
    worker.kill()
    assert not worker.alive()
    with pytest.raises(NexusError, match="the worker died"):
        worker.until(lambda: False, timeout=2)
    worker.stop()


@pytest.mark.slow
def test_nexus_worker_reuses_a_running_worker_for_the_same_arguments(queue):
    first = nexus.worker(env={"CELERY_TASK_DEFAULT_QUEUE": queue})
    try:
        assert nexus.worker(env={"CELERY_TASK_DEFAULT_QUEUE": queue}) is first
    finally:
        first.stop()
    second = nexus.worker(env={"CELERY_TASK_DEFAULT_QUEUE": queue})
    try:
        assert second is not first
    finally:
        second.stop()


def test_history_reads_celerys_task_lines(tmp_path):
    worker = Worker.__new__(Worker)
    worker.log = tmp_path / "worker.log"
    task = "bookings.tasks.send_booking_confirmation"
    worker.log.write_text("\n".join([
        f"[x: INFO/MainProcess] Task {task}[ab-1] received",
        f"[x: INFO/ForkPoolWorker-1] Task {task}[ab-1] retry: Retry in 1s: "
        "ConnectionRefusedError(111, 'Connection refused')",
        f"[x: WARNING/MainProcess] Soft time limit (1s) exceeded for {task}[ab-2]",
        f"[x: INFO/ForkPoolWorker-1] Task {task}[ab-1] succeeded in 0.0121s: True",
        "[x: INFO/MainProcess] something else",
    ]))
    assert worker.history("ab-1") == [
        TaskEvent(task, "ab-1", "received"),
        TaskEvent(task, "ab-1", "retry",
                  "Retry in 1s: ConnectionRefusedError(111, 'Connection refused')"),
        TaskEvent(task, "ab-1", "succeeded", "True"),
    ]
    assert [str(e) for e in worker.history("ab-2")] == ["soft limit 1 s exceeded"]


def test_an_unreachable_rabbitmq_is_one_clear_message(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", f"amqp://guest:guest@127.0.0.1:{free_port()}//")
    managed = os.environ.get("NEXUS_MANAGED_VARS", "").split()  # the learner's URL, not ours
    monkeypatch.setenv("NEXUS_MANAGED_VARS", " ".join(v for v in managed
                                                      if v != "CELERY_BROKER_URL"))
    with pytest.raises(NexusError) as caught:
        check_broker()
    assert caught.value.cause.startswith("RabbitMQ at amqp://127.0.0.1:")
    assert "unset CELERY_BROKER_URL" in caught.value.fix


# --- the command ---------------------------------------------------------------------------------
def test_nexus_worker_needs_a_lesson(embedded_env):
    done = run_nexus("worker", env=embedded_env)
    assert done.returncode == 2
    assert done.stderr.strip() == "nexus: the following arguments are required: lesson"


def test_nexus_worker_rejects_a_bad_lesson_and_concurrency_in_one_line(embedded_env):
    done = run_nexus("worker", "../06", env=embedded_env)
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
    assert "is not a lesson" in done.stderr
    done = run_nexus("worker", "06", "--concurrency", "0", env=embedded_env)
    assert (done.returncode, done.stderr.strip()) == (
        2, "nexus: --concurrency must be 1 or more, not 0")


@pytest.mark.slow
def test_nexus_worker_says_when_rabbitmq_is_unreachable(isolated_services):
    env = isolated_services | {"CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}//"}
    done = run_nexus("worker", "06", env=env)
    assert done.returncode == 1
    assert "does not answer" in done.stderr and "unset CELERY_BROKER_URL" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_nexus_worker_says_when_the_notebook_never_ran(isolated_services):
    done = run_nexus("worker", "42", env=isolated_services)
    assert done.returncode == 1
    assert "database nexus_nb_42 does not exist yet" in done.stderr
    assert 'nexus.start("42")' in done.stderr


def test_nexus_exports_the_worker():
    assert nexus.worker.__module__ == "nexus.worker"
