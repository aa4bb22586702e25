"""Process inspection in :mod:`nexus.proc` (psutil, so the same on Linux and macOS)."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil

from nexus.proc import live_pid, pid_alive, process_name, wait_until, write_pid
from nexus.services.postgres import Postgres


def test_a_zombie_is_not_alive():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        # Exited but not reaped (no wait() yet): a zombie, which os.kill(pid, 0) still finds.
        assert wait_until(lambda: psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE, 10)
        os.kill(child.pid, 0)
        assert not pid_alive(child.pid)
    finally:
        child.wait()
    assert not pid_alive(child.pid) and not pid_alive(None) and pid_alive(os.getpid())


def test_a_pid_file_is_stale_when_its_pid_was_taken_by_another_program(tmp_path):
    pidfile = tmp_path / "server.pid"
    write_pid(pidfile, os.getpid())
    assert live_pid(pidfile) == os.getpid()
    pid, started, _since_boot = pidfile.read_text().split()
    # The same pid, started at another time: after a reboot, some other program's (a file of
    # an older toolkit, which recorded the epoch time only).
    pidfile.write_text(f"{pid} {float(started) - 3600:.3f}\n")
    assert live_pid(pidfile) is None
    pidfile.write_text(f"{pid}\n")  # no start time recorded: the pid alone decides
    assert live_pid(pidfile) == os.getpid()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    write_pid(pidfile, gone.pid)
    assert live_pid(pidfile) is None
    assert live_pid(tmp_path / "missing.pid") is None


def test_process_name_reads_the_program():
    assert "python" in (process_name(os.getpid()) or "").lower()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert process_name(gone.pid) is None


def test_a_postmaster_pid_naming_another_program_is_cleared(tmp_path, monkeypatch):
    """A reboot leaves postmaster.pid; its pid may now be any program's (here: this one)."""
    monkeypatch.setenv("NEXUS_HOME", str(tmp_path))
    postgres = Postgres()
    postgres.data_dir.mkdir(parents=True)
    lock = postgres.data_dir / "postmaster.pid"
    lock.write_text(f"{os.getpid()}\n{postgres.data_dir}\n0\n5432\n")
    postgres._clear_stale_lock()
    assert not lock.exists()


def test_a_running_pid_is_still_ours_after_the_wall_clock_is_stepped(tmp_path, monkeypatch):
    """A step of the wall clock (NTP, a VM restored from a snapshot) moves psutil's start times
    on Linux: a CI run once took every running service for a stale one and started another."""
    pidfile = tmp_path / "server.pid"
    write_pid(pidfile, os.getpid())
    step = 40.0  # seconds, as measured on this kind of machine after a VM snapshot
    real_create_time, real_boot_time = psutil.Process.create_time, psutil.boot_time
    # Linux: the boot time (read on the current clock) moves, so the start in epoch seconds does.
    monkeypatch.setattr(psutil, "boot_time", lambda: real_boot_time() + step)
    monkeypatch.setattr(psutil.Process, "create_time",
                        lambda self: real_create_time(self) + step)
    assert live_pid(pidfile) == os.getpid()
    # macOS: the start is kept as a wall-clock time; the boot time is what moves.
    monkeypatch.setattr(psutil.Process, "create_time", real_create_time)
    assert live_pid(pidfile) == os.getpid()
    # A pid taken by another program started at another moment: neither time matches.
    pid, started, since_boot = pidfile.read_text().split()
    pidfile.write_text(f"{pid} {float(started) - 3600:.3f} {float(since_boot) - 3600:.3f}\n")
    monkeypatch.setattr(psutil, "boot_time", real_boot_time)
    assert live_pid(pidfile) is None
