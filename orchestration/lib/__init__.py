"""Helpers shared by the definitions in ``orchestration.defs``."""
