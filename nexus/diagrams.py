"""Pictures of the sample project drawn from its code, so they can never drift from it.

``er_diagram("accounts", "listings", "bookings")`` reads the Django models of those apps and
builds a Mermaid ``erDiagram``: one box per model with its columns (database type, PK/FK/UK),
and one line per relation with its cardinality. In a notebook it shows as a diagram (JupyterLab
renders Mermaid in Markdown); ``str()`` gives the Mermaid source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: PostgreSQL's multi-word type names, shortened to the one word Mermaid accepts as a type.
_TYPE_ALIASES = {
    "timestamp with time zone": "timestamptz",
    "double precision": "float8",
    "character varying": "varchar",
}


@dataclass(frozen=True)
class ERDiagram:
    """A Mermaid ``erDiagram``; displays as a diagram in Jupyter, ``str()`` is the source."""

    source: str

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return self.source

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self.source}\n```"


def _column_type(field, connection) -> str:
    """The column's database type as one word: ``varchar(120)`` → ``varchar``."""
    db_type = field.db_type(connection) or field.get_internal_type()
    if field.is_relation:  # a foreign key column has its target's type (serial → bigint)
        db_type = field.target_field.rel_db_type(connection)
    db_type = re.sub(r"\(.*\)", "", db_type).strip().lower()
    return _TYPE_ALIASES.get(db_type, db_type.replace(" ", "_"))


def _keys(field) -> str:
    keys = []
    if field.primary_key:
        keys.append("PK")
    if field.is_relation:
        keys.append("FK")
    if field.unique and not field.primary_key:
        keys.append("UK")
    return ", ".join(keys)


def _attribute(field, connection) -> str:
    line = f"{_column_type(field, connection)} {field.column}"
    keys = _keys(field)
    if keys:
        line += f" {keys}"
    if field.null:
        line += ' "nullable"'
    return line


def _relation(model, field) -> str:
    """One Mermaid relationship line, parent first: ``Listing ||--o{ Booking : "listing"``."""
    parent = field.related_model._meta.object_name
    child = model._meta.object_name
    if field.many_to_many:
        ends = "}o--o{"
    else:
        # Parent side: exactly one (NOT NULL key) or zero-or-one (nullable key).
        # Child side: a one-to-one allows at most one child, a foreign key any number.
        parent_end = "|o" if field.null else "||"
        child_end = "o|" if field.one_to_one else "o{"
        ends = f"{parent_end}--{child_end}"
    return f'{parent} {ends} {child} : "{field.name}"'


def er_diagram(*app_labels: str, columns: bool = True) -> ERDiagram:
    """A Mermaid ER diagram of the models in ``app_labels``, built from the models themselves.

    Boxes list each model's columns in definition order (``columns=False`` draws boxes only);
    relations are drawn between the chosen models only, so the picture stays on topic.
    The text depends only on the code, so a notebook can store it and compare it.
    """
    from django.apps import apps
    from django.db import connection

    if not app_labels:
        raise ValueError('name the apps to draw, e.g. er_diagram("listings", "bookings")')
    models = [m for label in app_labels for m in apps.get_app_config(label).get_models()]
    chosen = set(models)
    lines = ["erDiagram"]
    for model in models:
        for field in model._meta.get_fields(include_hidden=False):
            if (
                field.is_relation
                and field.concrete
                and not field.auto_created
                and field.related_model in chosen
                and field.model is model
            ):
                lines.append("    " + _relation(model, field))
    if columns:
        for model in models:
            lines.append(f"    {model._meta.object_name} {{")
            for field in model._meta.concrete_fields:
                lines.append(f"        {_attribute(field, connection)}")
            lines.append("    }")
    else:
        lines.extend(f"    {model._meta.object_name}" for model in models)
    return ERDiagram("\n".join(lines))
