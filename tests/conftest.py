"""Shared fixtures: each service's fixtures live in its own module under tests/fixtures/."""
pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.engine",
    "tests.fixtures.s3",
    "tests.fixtures.web",
]
