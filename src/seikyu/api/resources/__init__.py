"""Endpoint modules, one per resource; each exposes ``router = Router()`` (see ``api/README.md``)."""
