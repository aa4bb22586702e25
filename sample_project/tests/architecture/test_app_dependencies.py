"""The apps depend on each other one way: listings ← bookings ← payments; wishlists and
messaging on top.

Read from the source with ``ast``, not by importing it: every ``import`` and ``from … import``
in an app counts, at the top of a module or inside a function — an import moved into a
function to dodge a circular import is still a dependency. An app that needs to tell an app
above it something sends a signal or offers a registration hook that the upper app connects
in its ``AppConfig.ready()`` (``listings.signals.listing_updated``,
``listings.selectors.listing_nights_taken_by``, ``bookings.services.booking_expiry_exempt``).

``config/`` is two things: shared policy the apps import (``config.cache``,
``config.exceptions``, ``config.task_policy``…), which must sit below them, and the project's
composition root (``config.urls``, ``config.api_router``, ``config.schema``), which imports
every app and which no app may import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SAMPLE_PROJECT = Path(__file__).resolve().parents[2]

#: What each app may import, besides Django, third-party packages and config's policy modules.
ALLOWED: dict[str, set[str]] = {
    # The request pipeline (middleware, blocklist, request log) serves every app and knows
    # none: users are ids to it, paths are strings.
    "ip_tracking": set(),
    "accounts": set(),
    "listings": {"accounts"},
    "bookings": {"accounts", "listings"},
    "payments": {"accounts", "listings", "bookings"},
    "wishlists": {"accounts", "listings", "bookings"},
    # Threads are about a listing or a booking; nothing below knows there are messages.
    "messaging": {"accounts", "listings", "bookings"},
    # The demo data writes rows of every app; nothing imports it.
    "demo": {"accounts", "listings", "bookings", "payments", "wishlists", "messaging"},
}
#: What the policy modules of config/ (those the apps import) may import: the user model only.
CONFIG_POLICY_ALLOWED = {"accounts"}
#: Relations named by string ("app.Model") that point the wrong way, and why they are left.
#: None: the last one, listings.Review's foreign key to bookings.Booking, went when Review
#: moved to bookings (listings/migrations/0005_move_review_to_bookings.py).
KNOWN_BACKWARD_RELATIONS: set[tuple[str, str]] = set()

APPS = sorted(ALLOWED)
PROJECT_PACKAGES = {*APPS, "config"}


def modules_of(package: str) -> list[Path]:
    return sorted((SAMPLE_PROJECT / package).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """The absolute module names ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            # `from config import cache` imports the module config.cache.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def project_imports(package: str) -> dict[str, set[Path]]:
    """``{imported project module: {files of package that import it}}``."""
    found: dict[str, set[Path]] = {}
    for path in modules_of(package):
        for module in imported_modules(path):
            if module.split(".")[0] in PROJECT_PACKAGES:
                found.setdefault(module, set()).add(path.relative_to(SAMPLE_PROJECT))
    return found


def apps_imported_by(package: str) -> dict[str, list[str]]:
    """``{other app: [files of package that import it]}``."""
    found: dict[str, set[Path]] = {}
    for module, paths in project_imports(package).items():
        app = module.split(".")[0]
        if app in ALLOWED and app != package:
            found.setdefault(app, set()).update(paths)
    return {app: sorted(map(str, paths)) for app, paths in found.items()}


def test_every_app_has_a_place_in_the_order():
    apps = {path.parent.name for path in SAMPLE_PROJECT.glob("*/apps.py")}
    assert apps == set(ALLOWED), "add the new app to ALLOWED, with the apps it may import"


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_apps_below_it(app):
    wrong_way = {other: files for other, files in apps_imported_by(app).items()
                 if other not in ALLOWED[app]}
    assert wrong_way == {}, (
        f"{app} may import only {sorted(ALLOWED[app]) or 'no other app'}: send a signal or "
        "offer a hook that the app above connects in its AppConfig.ready() instead")


def test_the_check_sees_the_imports_that_are_there():
    # Not vacuous: the allowed direction is found, in top-level and function-level imports.
    assert {"listings", "accounts"} <= set(apps_imported_by("bookings"))
    assert "bookings" in apps_imported_by("payments")
    # PaymentsConfig.ready() imports bookings.services inside the method.
    assert Path("payments/apps.py") in project_imports("payments")["bookings.services"]


def test_no_app_imports_the_demo_data():
    importers = {app: files for app in APPS if app != "demo"
                 for other, files in apps_imported_by(app).items() if other == "demo"}
    assert importers == {}


def test_configs_shared_policy_sits_below_the_apps():
    # The config modules the apps import, and the config modules those import in turn.
    policy = {module for app in APPS for module in project_imports(app)
              if module.startswith("config.") and (SAMPLE_PROJECT / module.replace(".", "/"))
              .with_suffix(".py").is_file()}
    todo = set(policy)
    while todo:
        path = (SAMPLE_PROJECT / todo.pop().replace(".", "/")).with_suffix(".py")
        for module in imported_modules(path):
            target = (SAMPLE_PROJECT / module.replace(".", "/")).with_suffix(".py")
            if module.startswith("config.") and target.is_file() and module not in policy:
                policy.add(module)
                todo.add(module)
    assert "config.api_router" not in policy and "config.urls" not in policy
    wrong_way = {}
    for module in sorted(policy):
        path = (SAMPLE_PROJECT / module.replace(".", "/")).with_suffix(".py")
        apps = {name.split(".")[0] for name in imported_modules(path)} & set(ALLOWED)
        if apps - CONFIG_POLICY_ALLOWED:
            wrong_way[module] = sorted(apps - CONFIG_POLICY_ALLOWED)
    assert wrong_way == {}, "policy the apps import must not import them back"


def related_apps(models: Path) -> set[str]:
    """The apps ``models`` names in string relations: ForeignKey("bookings.Booking", …)."""
    found = set()
    for node in ast.walk(ast.parse(models.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"ForeignKey", "OneToOneField", "ManyToManyField"}
                and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str) and "." in node.args[0].value):
            found.add(node.args[0].value.split(".")[0])
    return found


@pytest.mark.parametrize("app", APPS)
def test_model_relations_point_the_same_way(app):
    models = SAMPLE_PROJECT / app / "models.py"
    related = (related_apps(models) & set(ALLOWED)) - {app} if models.exists() else set()
    backward = {other for other in related
                if other not in ALLOWED[app] and (app, other) not in KNOWN_BACKWARD_RELATIONS}
    assert backward == set()


def test_the_relation_check_sees_the_relations_that_are_there():
    # Not vacuous: Booking.listing and Review.listing name "listings.Listing" by string.
    assert "listings" in related_apps(SAMPLE_PROJECT / "bookings" / "models.py")
    # An exception listed in KNOWN_BACKWARD_RELATIONS must still be needed.
    for app, other in KNOWN_BACKWARD_RELATIONS:
        assert other in related_apps(SAMPLE_PROJECT / app / "models.py")
