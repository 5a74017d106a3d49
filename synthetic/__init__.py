"""Synthetic demo region: persons, users and inbound package files."""
