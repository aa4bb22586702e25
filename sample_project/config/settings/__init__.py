"""Settings profiles: ``base`` is shared; ``local``, ``test`` and ``production`` build on it.

Pick one with ``DJANGO_SETTINGS_MODULE=config.settings.<profile>``.
"""
