"""Custom integrations of this repository (importable for the tests)."""
