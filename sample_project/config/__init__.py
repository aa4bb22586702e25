"""Project package: settings, root URLconf and the WSGI/ASGI entry points."""
