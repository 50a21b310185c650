"""The HTTP API: thin FastAPI routes over :mod:`docex.services`."""
