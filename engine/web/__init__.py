"""The web face of Ruam: an HTTP API (``/api``, OpenAPI at ``/openapi.json``)
and server-rendered Thai-first pages, both calling the engine only.

``engine.web.app.create_web(app)`` builds the FastAPI application; ``ruam
serve`` runs it. This package imports nothing, so a route module importing a
sibling never runs the application module (no import circle).
"""
