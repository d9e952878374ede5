"""Shared fixtures: each service's fixtures live in its own module under tests/fixtures/."""
pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.devices",
    "tests.fixtures.engine",
    "tests.fixtures.mqtt",
    "tests.fixtures.s3",
    "tests.fixtures.web",
    "tests.fixtures.e2e",
    "tests.fixtures.ui",
    "tests.fixtures.project_duties",
]


def pytest_collection_modifyitems(items):  # type: ignore[no-untyped-def]
    """Browser tests run last: they are the slowest and need nothing from the others."""
    items.sort(key=lambda item: "/tests/e2e/" in str(item.fspath))
