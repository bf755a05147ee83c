"""Shared fixtures. The suite runs against SQLite by default and PostgreSQL when DATABASE_URL is set."""
