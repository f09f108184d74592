"""What the test suite, the fuzzer and the bench share of this backend, importable without pytest.

The generic machinery (databases, isolation, hasher, run directories) is pytest-fastapi-db's.

`tests/fixtures/` wraps these building blocks in fixtures; `benchmarks/` times them directly.
Keeping them here, outside `tests/`, means no tool imports a test module to reuse them.

- `testkit.settings`: the one set of test settings (secret, URLs, password, environment).
- `testkit.database`: this backend's schema (template, create, naive reset) for the bench.
- `testkit.shared_data`: the shared read-only world built once per test class.
- `testkit.whisper_model`: a tiny Whisper model made offline, and a tone to feed it, for the
  real transcription engine without a download (`python -m testkit.whisper_model DIR`).
"""
