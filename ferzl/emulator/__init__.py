"""A stand-in central segment for development, demos and tests."""
