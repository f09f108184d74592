"""`nox -s load` (tools/load.py, tools/load_report.py): its options, errors and report."""

from __future__ import annotations

import importlib.util
from collections import Counter
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tools import ROOT
from tools.load import (
    MAX_USERS,
    PASSWORD,
    STEPS,
    UPLOAD_BYTES,
    CannotRun,
    Options,
    Tally,
    check_tools,
    database,
    main,
    parse_args,
    run_engine,
    server_errors,
    stored_files,
)
from tools.load_report import Result, percentile, report, table
from tools.served import Server

PASSED = Result(
    engine="sqlite",
    statuses=Counter({200: 90, 201: 9, 409: 1}),
    unfinished=0,
    milliseconds=[float(n) for n in range(1, 101)],
    seconds=10.0,
    drop_reasons=Counter(),
    refused=Counter({"409 POST /auth/register": 1}),
    videos=9,
    files=9,
    videos_without_file=0,
    files_without_video=0,
    server_errors=Counter(),
    load_before=0.5,
    load_after=3.25,
)


def test_defaults_load_both_engines_with_every_step_from_this_checkout():
    options = parse_args([])
    assert (options.users, options.duration, options.app) == (40, 20.0, ROOT)
    assert options.mix == tuple(STEPS)
    assert options.engines == ("sqlite", "postgresql")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--users", "0"], "argument --users: 0 is out of range"),
        (["--users", str(MAX_USERS + 1)], f"at most {MAX_USERS} users"),
        (["--duration", "forever"], "argument --duration: 'forever' is not a number"),
        (["--mix", "upload,dance"], "steps are among upload, list, word, progress"),
        (["--engines", "sqlite,sqlite"], "engines named twice in 'sqlite,sqlite'"),
        (["--app", "/"], "--app /: no backend/__main__.py there (give a checkout)"),
    ],
)
def test_bad_options_stop_with_a_usage_message(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_without_locust_it_says_which_session_installs_it(capsys):
    assert importlib.util.find_spec("locust") is None, "the test group has no locust"
    with pytest.raises(CannotRun, match=r"missing locust\b.*`python -m nox -s load`"):
        check_tools(["sqlite"])
    assert main(["--engines", "sqlite", "--duration", "1"]) == 2
    assert capsys.readouterr().err.startswith("load: missing locust")


def test_a_sqlite_database_is_a_file_in_the_run_folder(tmp_path):
    with database("sqlite", tmp_path) as url:
        assert url == f"sqlite+aiosqlite:///{tmp_path / 'load.sqlite3'}"


def test_files_and_exception_lines_are_read_back_from_the_run(tmp_path):
    media = tmp_path / "media"
    (media / "owner").mkdir(parents=True)
    (media / "owner" / "a.mp4").write_bytes(b"v")
    assert stored_files(media) == {media / "owner" / "a.mp4"}
    assert stored_files(tmp_path / "none") == set()
    log = tmp_path / "server.log"
    log.write_text("INFO started\n  sqlite3.OperationalError: database is locked\n"
                   "sqlite3.OperationalError: database is locked\nValueError: x\n")  # fmt: skip
    assert server_errors(log) == Counter(
        {"sqlite3.OperationalError: database is locked": 2, "ValueError: x": 1}
    )


def test_percentiles_and_times_read_as_a_person_would():
    assert percentile([], 50) == "-"
    assert percentile([1500.0], 99) == "1.50 s"
    assert percentile([float(n) for n in range(1, 101)], 95) == "95 ms"


def test_a_run_with_no_5xx_drop_or_lost_file_passes_and_the_table_shows_it():
    assert PASSED.passed
    assert (PASSED.requests, PASSED.per_second) == (100, 10.0)
    lines = table([PASSED]).splitlines()
    assert lines[0].startswith("| engine | requests | per s | p50 |")
    assert lines[2] == ("| sqlite | 100 | 10 | 50 ms | 95 ms | 99 ms | 200: 90, 201: 9, 409: 1 "
                        "| 0 | 0 | 9 / 9 | 0.5 to 3.2 |")  # fmt: skip


def test_the_report_says_what_failed_and_why_by_engine():
    failed = replace(
        PASSED,
        engine="postgresql",
        statuses=Counter({200: 40, 503: 2, 0: 3}),
        unfinished=1,
        seconds=5.0,
        drop_reasons=Counter({"ConnectionResetError": 3, "cut off by the end of the run": 1}),
        videos_without_file=1,
        server_errors=Counter({"TimeoutError: pool": 2}),
    )
    assert (failed.dropped, failed.server_failures, failed.passed) == (4, 2, False)
    text = report([PASSED, failed], "heading")
    assert text.startswith("heading\n\n| engine |")
    assert "SQLite / PostgreSQL throughput: 1.09 (10 / 9 /s)" in text
    assert "sqlite: answers not 2xx: 409 POST /auth/register x1" in text
    assert "sqlite: passed" in text
    assert ("postgresql: dropped connections: ConnectionResetError 3, "
            "cut off by the end of the run 1") in text  # fmt: skip
    assert "postgresql: 1 videos without their file, 0 files without their video" in text
    assert "postgresql: server log: 2 x TimeoutError: pool" in text
    assert text.endswith("postgresql: FAILED")


@pytest.mark.slow
def test_an_engine_run_serves_the_users_then_compares_rows_with_files(tmp_path):
    """A real server on SQLite under two uploads (locust's part played by a plain function);
    one file is lost before the check, which must notice."""
    options = Options(1, 1.0, ("upload",), ("sqlite",), ROOT, 60.0)

    def two_uploads(server: Server, options: Options, run_dir: Path) -> Tally:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            user = {"email": "load@example.com", "password": PASSWORD}
            statuses = [client.post("/auth/register", json=user).status_code]
            login = client.post("/auth/jwt/login", data={"username": user["email"],
                                                         "password": PASSWORD})  # fmt: skip
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            for _ in range(2):
                video = client.post("/videos", data={"title": "A clip", "language": "es"},
                                    files={"file": ("clip.mp4", b"v" * UPLOAD_BYTES)},
                                    headers=headers)  # fmt: skip
                statuses.append(video.status_code)
        lost = next(path for path in server.media_dir.rglob("*.mp4"))
        lost.unlink()
        return {"statuses": {str(s): statuses.count(s) for s in set(statuses)}, "errors": {},
                "refused": {}, "unfinished": 0, "milliseconds": [5.0, 7.0, 9.0],
                "seconds": 1.0}  # fmt: skip

    result = run_engine("sqlite", options, tmp_path, users=two_uploads)
    assert result.statuses == Counter({201: 3})
    assert (result.videos, result.files) == (2, 1)
    assert (result.videos_without_file, result.files_without_video) == (1, 0)
    assert result.server_errors == Counter()
    assert not result.passed
