"""Persistence (SQLite by default, PostgreSQL by URL); filled by the service issue."""
