"""What the test suite, the fuzzer and the bench share, importable without pytest.

`tests/fixtures/` wraps these building blocks in fixtures; `benchmarks/` times them directly.
Keeping them here, outside `tests/`, means no tool imports a test module to reuse them.

- `testkit.settings`: the one set of test settings (secret, URLs, password, environment).
- `testkit.passwords`: the fast password hasher the app accepts through `create_app()`.
- `testkit.database`: a rolled-back connection, sessions joining it, savepoints, schema reset.
- `testkit.shared_data`: the shared read-only world built once per test class.
"""
