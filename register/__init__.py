"""The register of insured persons: domain rules and the operational database."""
