"""The fork server of the build checks: a child is a process of its own, as `python` makes one."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nexus.build import zygote


@pytest.fixture(scope="module")
def server():
    started = zygote.Zygote.start()
    yield started
    started.close()


def script(folder: Path, body: str) -> Path:
    path = folder / "prog.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_a_script_runs_in_its_folder_with_exactly_the_given_environment(server, tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 'from the script folder'\n")
    path = script(tmp_path, """
        import os, sys, helper
        own_session = os.getpid() == os.getsid(0)
        print(os.getcwd(), sys.argv[1:], helper.VALUE, sorted(os.environ), own_session)
    """)
    done = server.run([str(path), "a", "b"], cwd=tmp_path, env={"ONLY": "this"}, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == \
        f"{tmp_path} ['a', 'b'] from the script folder ['ONLY'] True"


def test_a_module_runs_as_main_and_its_exit_code_and_stderr_come_back(server, tmp_path):
    (tmp_path / "tool.py").write_text(
        "import sys\nif __name__ == '__main__':\n"
        "    print('to stderr', file=sys.stderr)\n    sys.exit(3)\n")
    done = server.run(["-m", "tool"], cwd=tmp_path, env={}, timeout=30)
    assert (done.returncode, done.stdout, done.stderr.strip()) == (3, "", "to stderr")


def test_code_runs_as_python_c_with_the_given_pythonpath(server, tmp_path):
    """``["-c", code, args…]``: what ``python -c`` does — ``__main__`` without the zygote's
    names, ``sys.argv[0] == "-c"``, the current folder then PYTHONPATH's entries first."""
    library = tmp_path / "library"
    library.mkdir()
    (library / "learner_settings.py").write_text("DEBUG = False\n")
    code = ("import sys, learner_settings\n"
            "print(sys.argv, sys.path[:2], learner_settings.DEBUG, sorted(n for n in dir() "
            "if not n.startswith('__')))\n")
    done = server.run(["-c", code, "a"], cwd=tmp_path, env={"PYTHONPATH": str(library)},
                      timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == \
        f"['-c', 'a'] ['', '{library}'] False ['learner_settings', 'sys']"


def test_pythonpath_is_the_childs_not_the_zygotes(tmp_path, monkeypatch):
    (tmp_path / "only_in_the_parent.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    started = zygote.Zygote.start()
    try:
        done = started.run(["-c", "import only_in_the_parent"], cwd=Path("/"), env={},
                           timeout=30)
    finally:
        started.close()
    assert done.returncode == 1 and "No module named 'only_in_the_parent'" in done.stderr


def test_an_exception_is_a_traceback_and_exit_1(server, tmp_path):
    path = script(tmp_path, "raise ValueError('no such city')\n")
    done = server.run([str(path)], cwd=tmp_path, env={}, timeout=30)
    assert done.returncode == 1
    assert "ValueError: no such city" in done.stderr and f'File "{path}", line 1' in done.stderr


def test_libraries_are_imported_once_but_settings_are_the_childs(server, tmp_path):
    path = script(tmp_path, """
        import os, sys
        print("strawberry" in sys.modules, os.environ.get("DJANGO_SETTINGS_MODULE"))
    """)
    done = server.run([str(path)], cwd=tmp_path,
                      env={"DJANGO_SETTINGS_MODULE": "config.settings.local"}, timeout=30)
    assert done.stdout.split() == ["True", "config.settings.local"], done.stderr


def test_a_timeout_kills_the_child_and_what_it_started(server, tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    path = script(tmp_path, f"""
        import os, time
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
        open({str(pidfile)!r}, "w").write(str(pid))
        time.sleep(60)
    """)
    began = time.monotonic()
    done = server.run([str(path)], cwd=tmp_path, env={}, timeout=2)
    assert done.timed_out and time.monotonic() - began < 15
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.05)
    assert not _alive(grandchild)


def test_without_a_zygote_the_same_runs_with_subprocess(tmp_path, monkeypatch):
    monkeypatch.setenv("NEXUS_NO_ZYGOTE", "1")
    monkeypatch.setattr(zygote, "_zygote", None)
    path = script(tmp_path, "import sys; print(sys.argv[1:]); sys.exit(2)\n")
    done = zygote.run([str(path), "x"], cwd=tmp_path, env={}, timeout=30)
    assert (done.returncode, done.stdout.strip()) == (2, "['x']")


def test_the_zygote_ends_with_the_process_that_started_it(tmp_path):
    code = ("from nexus.build.zygote import Zygote; import os, sys; z = Zygote.start(); "
            "print(z.process.pid, flush=True); os._exit(0)")  # no atexit: killed-parent case
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie nobody reaped yet is dead for our purposes
        return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0
    except FileNotFoundError:
        return sys.platform == "darwin"
