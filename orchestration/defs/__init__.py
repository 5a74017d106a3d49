"""Definitions loaded by ``orchestration.definitions``: one folder per area."""
