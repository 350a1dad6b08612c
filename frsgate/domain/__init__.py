"""The pure domain model of the memo: entities and explicit state machines (no web, no SQL)."""
