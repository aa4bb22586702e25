#!/usr/bin/env python
"""Django's command-line utility for the Nexus Stays sample project."""

import os
import sys


def main() -> None:
    """Run a management command; defaults to the local (development) settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
