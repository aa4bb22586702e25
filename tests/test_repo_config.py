"""The CI workflow, the pre-commit hooks and the deployment files, checked for structure.

No Docker engine runs where these tests run, so nothing here builds or starts a container: the
files are read with PyYAML (and the Dockerfile as text) and held to what the lessons say they do.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

#: The same in every profile (reads the repository's files):
#: the external profile's run leaves it out.
pytestmark = pytest.mark.any_profile

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PROJECT = ROOT / "sample_project"
EXTERNAL_PROFILE = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/nexus_ci",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
}
COMPOSE_SERVICES = {"web", "worker", "beat", "postgres", "redis", "rabbitmq"}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- .github/workflows/ci.yml ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def workflow() -> dict:
    return load(ROOT / ".github" / "workflows" / "ci.yml")


def triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))


def test_ci_runs_on_pushes_and_pull_requests(workflow):
    assert {"push", "pull_request"} <= set(triggers(workflow))
    assert workflow["permissions"] == {"contents": "read"}


def test_ci_tests_on_python_311_and_newer(workflow):
    job = workflow["jobs"]["test"]
    assert job["runs-on"].startswith("ubuntu")
    versions = job["strategy"]["matrix"]["python-version"]
    assert versions[0] == "3.11" and all(re.fullmatch(r"3\.1[1-9]", v) for v in versions)
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"


def test_ci_service_containers_have_health_checks_and_ports(workflow):
    services = workflow["jobs"]["test"]["services"]
    assert set(services) == {"postgres", "redis", "rabbitmq"}
    ports = {"postgres": "5432:5432", "redis": "6379:6379", "rabbitmq": "5672:5672"}
    for name, service in services.items():
        assert service["image"].split(":")[0] == name
        assert ports[name] in service["ports"]
        assert "--health-cmd" in service["options"], f"{name} has no health check"
        assert "--health-retries" in service["options"]


def test_ci_runs_make_test_in_both_profiles(workflow):
    steps = workflow["jobs"]["test"]["steps"]
    runs = [s for s in steps if s.get("run", "").strip() == "make test"]
    assert len(runs) == 2, "make test once per profile"
    embedded, external = runs
    assert not set(EXTERNAL_PROFILE) & set(embedded.get("env", {}))
    assert external["env"] == EXTERNAL_PROFILE
    # The external profile runs even when the embedded one failed.
    assert "failure()" in external["if"]


def test_ci_external_profile_matches_ci_run():
    """.ci/run (CI without GitHub) and the workflow point at the same services."""
    script = (ROOT / ".ci" / "run").read_text()
    for name, value in EXTERNAL_PROFILE.items():
        assert f"{name}={value}" in script
    assert "make test" in script


def test_ci_installs_chromium_for_the_browser_test(workflow):
    steps = workflow["jobs"]["test"]["steps"]
    assert any("apt-get install" in s.get("run", "") and "chromium" in s["run"] for s in steps)
    assert not any("playwright install" in s.get("run", "") for s in steps)


def test_ci_lint_job_runs_pre_commit(workflow):
    steps = workflow["jobs"]["lint"]["steps"]
    assert any("pre-commit run --all-files" in s.get("run", "") for s in steps)


def test_readme_test_command_is_what_ci_runs():
    assert "make test" in (ROOT / "README.md").read_text()
    assert re.search(r"^test:.*\n\t.*pytest tests", (ROOT / "Makefile").read_text(), re.M)


# --- .pre-commit-config.yaml ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def hooks() -> dict:
    config = load(ROOT / ".pre-commit-config.yaml")
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


HYGIENE_HOOKS = {"trailing-whitespace": "trailing-whitespace-fixer",
                 "end-of-file-fixer": "end-of-file-fixer", "check-yaml": "check-yaml",
                 "check-json": "check-json", "check-added-large-files": "check-added-large-files"}


def _pre_commit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``pre-commit ARGS`` with this environment's scripts first on PATH (as when activated)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd,
                          env=os.environ | {"PATH": path}, capture_output=True, text=True,
                          check=False, timeout=240)


def test_pre_commit_has_ruff_and_the_hygiene_hooks(hooks):
    assert {"ruff", *HYGIENE_HOOKS} <= set(hooks)
    assert hooks["ruff"]["entry"].startswith("python -m ruff check")
    assert "jupyter" in hooks["ruff"]["types_or"]  # the notebooks are linted too
    # PyPI's pre-commit-hooks, installed from the lock, run as the environment's own scripts:
    # nothing is cloned from GitHub, so the hooks work offline.
    for hook_id, script in HYGIENE_HOOKS.items():
        hook = hooks[hook_id]
        assert hook["language"] == "system" and hook["entry"].split()[0] == script, hook_id
        assert (Path(sys.executable).parent / script).exists(), f"{script} is not installed"
    assert hooks["check-json"]["types"] == ["json"]  # identify tags .ipynb files as json
    assert "--enforce-all" in hooks["check-added-large-files"]["entry"]
    # The environment's tools, whichever environment that is: no hook names a folder.
    assert not any(".venv" in hook.get("entry", "") for hook in hooks.values())
    assert "ruff-format" not in hooks  # the tree is not ruff-formatted
    assert not (ROOT / ".ci" / "hooks.py").exists()  # the hand-written hooks are gone


@pytest.mark.parametrize("hook_id", sorted(HYGIENE_HOOKS))
def test_the_hygiene_hooks_accept_this_repository(hook_id):
    done = _pre_commit("run", hook_id, "--all-files", cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_hygiene_hooks_catch_problems(tmp_path):
    """This repository's hook configuration, run on a repository of broken files."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".pre-commit-config.yaml").write_text(
        (ROOT / ".pre-commit-config.yaml").read_text())
    (tmp_path / "broken.yaml").write_text("key: [unclosed\n")
    (tmp_path / "merged.ipynb").write_text('{"cells": [\n<<<<<<< HEAD\n]}\n')
    (tmp_path / "no_newline.txt").write_text("text")
    (tmp_path / "spaces.md").write_text("a line   \n")
    (tmp_path / "big.bin").write_bytes(b"\0" * 600 * 1024)
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x",
                    "--no-verify"], cwd=tmp_path, check=True)
    done = _pre_commit("run", "--all-files", cwd=tmp_path)
    assert done.returncode == 1
    failed = {m[1] for m in re.finditer(r"^(.+?)\.{3,}Failed$", done.stdout, re.M)}
    assert failed == {"check yaml", "check json", "check for added large files",
                      "fix end of files", "trim trailing whitespace",
                      "ruff check"}, done.stdout  # ruff cannot read the broken notebook either
    assert "big.bin (600 KB) exceeds 500 KB" in done.stdout  # committed long ago: --enforce-all
    assert (tmp_path / "no_newline.txt").read_text() == "text\n"  # the fixers fix
    assert (tmp_path / "spaces.md").read_text() == "a line\n"


# --- sample_project/compose.yaml ------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> dict:
    return load(SAMPLE_PROJECT / "compose.yaml")


def test_compose_has_the_production_services(compose):
    assert set(compose["services"]) >= COMPOSE_SERVICES


def test_every_long_running_service_has_a_health_check(compose):
    for name in COMPOSE_SERVICES:
        check = compose["services"][name].get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
        assert check["test"][0] in ("CMD", "CMD-SHELL")


def test_app_services_wait_for_healthy_backing_services(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        for backing in ("postgres", "redis", "rabbitmq"):
            assert depends[backing]["condition"] == "service_healthy", (name, backing)
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_app_services_share_the_image_and_read_env_from_dot_env(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat", "migrate"):
        service = services[name]
        assert service["build"] == "." and service["env_file"] == ".env"
        env = service["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert re.fullmatch(r"postgres://nexus:\$\{.+\}@postgres:5432/nexus", env["DATABASE_URL"])
        assert re.fullmatch(r"amqp://nexus:\$\{.+\}@rabbitmq:5672//", env["CELERY_BROKER_URL"])
        assert env["REDIS_URL"] == "redis://redis:6379/1"
    assert "gunicorn.conf.py" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]


def test_compose_takes_passwords_from_the_environment_not_the_file(compose):
    text = (SAMPLE_PROJECT / "compose.yaml").read_text()
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")
    assert not re.search(r"(PASSWORD|SECRET_KEY)\s*:\s*[\"']?[A-Za-z0-9]", text)
    documented = (SAMPLE_PROJECT / ".env.example").read_text()
    for variable in set(re.findall(r"\$\{([A-Z_]+)", text)):
        assert re.search(rf"^#?\s*{variable}=", documented, re.M), f"document {variable}"


# --- sample_project/Dockerfile --------------------------------------------------------------------
@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (SAMPLE_PROJECT / "Dockerfile").read_text()


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
            for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_dockerfile_is_multi_stage_and_ends_as_a_non_root_user(dockerfile):
    steps = instructions(dockerfile)
    stages = [args for op, args in steps if op == "FROM"]
    assert len(stages) == 2 and " AS builder" in stages[0] and " AS runtime" in stages[1]
    assert all("slim" in stage for stage in stages)
    runtime = steps[[i for i, (op, _) in enumerate(steps) if op == "FROM"][1]:]
    assert any(op == "COPY" and "--from=builder" in args for op, args in runtime)
    users = [args for op, args in runtime if op == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_dockerfile_collects_static_files_checks_health_and_runs_gunicorn(dockerfile):
    steps = instructions(dockerfile)
    assert any(op == "RUN" and "collectstatic --noinput" in args for op, args in steps)
    health = [args for op, args in steps if op == "HEALTHCHECK"]
    assert health and "/healthz" in health[0]
    cmd = [args for op, args in steps if op == "CMD"][-1]
    assert cmd.startswith("[") and "gunicorn" in cmd and "gunicorn.conf.py" in cmd


def test_requirements_in_match_pyproject():
    """The image's requirements.in is the sample project's part of pyproject, line for line."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = {re.sub(r"\s", "", d) for d in pyproject["project"]["dependencies"]}
    lines = (SAMPLE_PROJECT / "requirements.in").read_text().splitlines()
    required = [line for line in lines if line.strip() and not line.startswith("#")]
    assert required and set(required) <= declared, set(required) - declared
    assert {"gunicorn>=22.0", "whitenoise>=6.6", "django>=5.2,<5.3"} <= set(required)


# --- the lock files ------------------------------------------------------------------------------
def read_lock(path: Path) -> dict[str, list[tuple[Version, str, int]]]:
    """``{name: [(version, marker, number of hashes), ...]}`` of a hashed requirements lock."""
    entries: dict[str, list[tuple[Version, str, int]]] = {}
    text = path.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement = line.partition(" --hash=")[0]
        spec, _, marker = requirement.partition(";")
        name, _, version = spec.strip().partition("==")
        entries.setdefault(canonicalize_name(name), []).append(
            (Version(version), marker.strip(), line.count("--hash=sha256:")))
    return entries


def declared_requirements() -> list[Requirement]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    build = [line for line in (ROOT / "requirements" / "build.in").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return [Requirement(r) for r in (*pyproject["project"]["dependencies"],
                                     *pyproject["project"]["optional-dependencies"]["dev"],
                                     *build)]


def test_the_lock_pins_every_declared_dependency_within_its_bounds_with_hashes():
    lock = read_lock(ROOT / "requirements.lock")
    for requirement in declared_requirements():
        pins = lock.get(canonicalize_name(requirement.name))
        assert pins, f"{requirement} is in pyproject.toml but not in requirements.lock: make lock"
        for version, _marker, _hashes in pins:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements.lock pins {requirement.name}=={version}, outside {requirement}")
    assert all(hashes for pins in lock.values() for _, _, hashes in pins), "a pin has no hash"


def test_the_images_lock_has_the_course_locks_versions():
    course = read_lock(ROOT / "requirements.lock")
    image = read_lock(SAMPLE_PROJECT / "requirements.txt")
    assert {"django", "gunicorn", "psycopg-binary", "celery"} <= set(image)
    for name, pins in image.items():
        for version, _marker, hashes in pins:
            assert version in {v for v, _, _ in course[name]}, f"{name}=={version}"
            assert hashes


def test_every_install_goes_through_the_lock_with_hashes_and_wheels_only():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"--require-hashes --only-binary :all: --requirement requirements.lock",
                     makefile)
    assert "--no-deps --no-build-isolation --editable ." in makefile
    dockerfile = (SAMPLE_PROJECT / "Dockerfile").read_text()
    assert "pip install --require-hashes --only-binary :all: --requirement requirements.txt" \
        in dockerfile


def test_dockerignore_keeps_secrets_out_of_the_image():
    ignored = (SAMPLE_PROJECT / ".dockerignore").read_text().splitlines()
    assert ".env" in ignored


# --- sample_project/gunicorn.conf.py -------------------------------------------------------------
def test_gunicorn_config_loads_with_gunicorn():
    """gunicorn itself reads the file and prints the values it resolved."""
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--print-config",
         "config.wsgi"],
        cwd=SAMPLE_PROJECT, capture_output=True, text=True, timeout=60, check=False,
        # --print-config also loads the app, which needs the services' variables.
        env={**os.environ, "WEB_CONCURRENCY": "2", "FORWARDED_ALLOW_IPS": "10.0.0.1"},
    )
    assert done.returncode == 0, done.stderr
    values = dict(re.findall(r"^(\w+)\s*=\s*(.*)$", done.stdout, re.M))
    assert values["workers"] == "2"
    assert values["timeout"] == "30" and values["graceful_timeout"] == "20"
    assert values["accesslog"] == "-" and values["forwarded_allow_ips"] == "['10.0.0.1']"


# --- a hung test ---------------------------------------------------------------------------------
def test_a_hung_test_fails_alone_with_its_stack_and_the_run_goes_on(tmp_path):
    (tmp_path / "test_hang.py").write_text(
        "import time\n\n"
        "def test_hangs():\n    time.sleep(60)\n\n"
        "def test_after():\n    assert True\n")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert config["timeout"] <= 600 and config["timeout_method"] == "signal"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:django",
         "--timeout", "1", "-o", "timeout_method=signal", str(tmp_path / "test_hang.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert "1 failed, 1 passed" in done.stdout, done.stdout
    assert "Timeout (>1.0s) from pytest-timeout" in done.stdout
    assert "time.sleep(60)" in done.stdout  # the stack of the hung test


# --- which environment make installs into -------------------------------------------------------
@pytest.mark.parametrize(("env", "expected"), [
    ({}, ".venv/bin/python -m "),
    ({"VIRTUAL_ENV": "/opt/learner-venv"}, "/opt/learner-venv/bin/python -m "),
    ({"CONDA_PREFIX": "/opt/conda/envs/nexus-workbook", "CONDA_DEFAULT_ENV": "nexus-workbook"},
     "/opt/conda/envs/nexus-workbook/bin/python -m "),
    # conda's base env is active in many shells by default: never install the course into it.
    ({"CONDA_PREFIX": "/opt/conda", "CONDA_DEFAULT_ENV": "base"}, ".venv/bin/python -m "),
])
def test_make_installs_into_the_active_environment_or_dot_venv(env, expected):
    """Every install, uv's and pip's (its fallback), runs the chosen environment's Python."""
    clean = {k: v for k, v in os.environ.items()
             if k not in {"VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "NEXUS_ENV"}}
    for installer in ("uv", "pip"):
        done = subprocess.run(["make", "-n", "-B", "install", f"INSTALLER={installer}"], cwd=ROOT,
                              env=clean | env, capture_output=True, text=True, timeout=30,
                              check=True)
        installs = [line.strip().removeprefix("|| ") for line in done.stdout.splitlines()
                    if "pip install" in line]
        assert installs and all(line.startswith(expected) for line in installs), done.stdout
        assert all(f"{expected}uv pip install --python {expected.removesuffix(' -m ')}" in line
                   for line in installs if " uv " in line), done.stdout
        assert any("--require-hashes" in line and "requirements.lock" in line
                   for line in installs), done.stdout


def test_no_test_file_sits_where_pytest_never_looks():
    """pytest skips folders matching its default ``norecursedirs`` (``build``, ``dist``, ``venv``,
    dot-folders…) when it recurses: a test module there would silently never run."""
    import fnmatch

    skipped = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")
    hidden = []
    for root in (ROOT / "tests", ROOT / "sample_project" / "tests"):
        for path in root.rglob("test_*.py"):
            parts = path.relative_to(root).parts[:-1]
            if any(fnmatch.fnmatch(part, pattern) for part in parts for pattern in skipped):
                hidden.append(str(path.relative_to(ROOT)))
    assert hidden == []
