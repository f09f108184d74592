"""The warm runner (`pytest-warm`): pytest's start-up paid once, each run a fresh fork.

`client` is what a developer types instead of `pytest` (standard library only, so its own
start-up stays small); `server` holds the third-party packages imported and forks one child per
run (`child`), which gets the client's terminal, argv, cwd, environment and umask. `protocol`
is what the two share (where the server lives, the messages); `staleness` decides when what the
server holds no longer matches the checkout; `preload` what it holds. Nothing here imports the
project's own modules into the server.
"""
