"""``python -m nexus.standins.chapa --port P --state-dir DIR``: serve the Chapa sandbox."""

from nexus.standins.chapa.server import main

main()
