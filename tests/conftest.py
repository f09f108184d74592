"""Loads the fixture package; nothing else belongs here (see tests/fixtures/)."""

pytest_plugins = [
    "tests.fixtures.run_dir",
    "tests.fixtures.aio",
    "tests.fixtures.database",
    "tests.fixtures.passwords",
    "tests.fixtures.services",
    "tests.fixtures.network",
    "tests.fixtures.app",
    "tests.fixtures.clients",
    "tests.fixtures.shared_data",
]
