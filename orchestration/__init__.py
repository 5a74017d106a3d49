"""Dagster code location of the platform: definitions only, thin wrappers over the packages."""
