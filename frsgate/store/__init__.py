"""Persistence: SQLAlchemy 2 tables, repositories, Alembic migrations (SQLite, PostgreSQL)."""
