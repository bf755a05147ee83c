"""The ``seikyu`` command: run, serve, work, migrate and manage API keys."""
