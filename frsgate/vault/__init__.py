"""Probe image vault: validation, metadata-free re-encoding and envelope encryption at rest."""
