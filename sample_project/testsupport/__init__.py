"""What the sample project's tests share: factories, the processes they start, a private SMTP
server, and the rules that keep one test's work from leaking into the next.

A package of its own name (not ``tests``), importable because the project's folder is on the
path (``pythonpath`` in pytest.ini): ``from testsupport.factories import ListingFactory``.
It imports only the project and its libraries, never the course's toolkit.
"""
