"""Tests of the suite itself: its fixtures (tests/fixtures/), testkit/, pytest.ini and guards."""
