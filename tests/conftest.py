"""Loads the fixture package (tests/fixtures/); nothing else belongs here."""

pytest_plugins = ["tests.fixtures"]
