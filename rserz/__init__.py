"""The platform's command line and the demo launcher."""
