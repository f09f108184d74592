"""`python -m backend` as a real server for a check (tools/served.py), and the contract check's
own parts (tools/contract_check.py) that need no schemathesis: its stand-in translator, its
login, its options and the message when schemathesis is missing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.child_runs import child_env
from tools import ROOT
from tools.contract_check import ST, main, parse_args, post, token_for, translator
from tools.served import (
    NotServing,
    free_port,
    serving,
    sigterm_as_ctrl_c,
    stop,
    tail,
    wait_for_health,
)


def test_tail_keeps_the_last_lines():
    assert tail("a\nb\nc", lines=2) == "b\nc"


@pytest.mark.slow  # a Python process started
def test_a_server_that_cannot_start_is_reported_with_its_output(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    refused = pytest.raises(NotServing, match=r"(?s)exited with status 1.*No module named backend")
    with refused, serving(sys.executable, tmp_path, env, timeout=30):
        pytest.fail("served without the package")


@pytest.mark.slow  # waits out its timeout
def test_a_server_that_never_answers_is_given_up_on_and_its_group_stopped(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                               start_new_session=True)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{free_port()}"
        problem = wait_for_health(sleeper, url, timeout=0.3)
        assert problem is not None
        assert problem.startswith(f"no 200 from {url}/health within 0.3 s (last: ")
    finally:
        stop(sleeper)
    assert sleeper.returncode == -signal.SIGTERM
    stop(sleeper)  # stopping a stopped server is nothing


def test_sigterm_unwinds_like_ctrl_c():
    previous = signal.getsignal(signal.SIGTERM)
    try:
        sigterm_as_ctrl_c()
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.slow  # the server thread stops at its next poll
def test_the_stand_in_translator_answers_as_libretranslate_does():
    with translator() as url:
        answer = post(f"{url}/translate", json.dumps({"q": "gato", "target": "en"}).encode(),
                      "application/json")  # fmt: skip
        assert answer == {"translatedText": "gato-en"}
        with pytest.raises(urllib.error.HTTPError) as error:
            post(f"{url}/translate", b"not json", "application/json")
        assert error.value.code == 400
        error.value.close()


def test_contract_options_and_the_missing_cli(capsys):
    options = parse_args(["--who", "user", "--", "--phases=examples"])
    assert (options.who, options.max_examples, options.st_options) == (
        "user",
        50,
        ["--phases=examples"],
    )
    with pytest.raises(SystemExit):
        parse_args(["--who", "admin"])
    assert "argument --who: invalid choice: 'admin'" in capsys.readouterr().err
    assert not ST.exists(), "the test group has no schemathesis"
    assert main(["--who", "anonymous"]) == 2
    assert "no schemathesis CLI at" in capsys.readouterr().err


@pytest.mark.slow
def test_a_real_server_serves_registers_and_logs_in_then_stops(tmp_path):
    env = child_env(tmp_path / "tmp")
    with translator() as translation_url:
        env["TRANSLATION_URL"] = translation_url
        with serving(sys.executable, tmp_path, env, timeout=60, cwd=ROOT) as server:
            with urllib.request.urlopen(f"{server.url}/health", timeout=10) as health:
                assert health.status == 200
            token = token_for(server.url)
            request = urllib.request.Request(
                f"{server.url}/translations?word=gato&source=es&target=en",
                headers={"Authorization": f"Bearer {token}"},
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert json.loads(answer.read())["translation"] == "gato-en"
    assert Path(tmp_path / "server.sqlite3").is_file()
    with pytest.raises(urllib.error.URLError, match="Connection refused"):  # stopped
        urllib.request.urlopen(f"{server.url}/health", timeout=2)


STAND_IN_ST = """#!{python}
# Stands in for schemathesis' `st run URL ...`: reads the schema, records how it was called.
import json, os, sys, urllib.request
with urllib.request.urlopen(sys.argv[2]) as answer:
    title = json.load(answer)["info"]["title"]
record = {{"argv": sys.argv[1:], "hooks": os.environ["SCHEMATHESIS_HOOKS"], "title": title}}
with open(os.environ["ST_RECORD"], "a") as out:
    out.write(json.dumps(record) + "\\n")
sys.exit(1 if "--header" in sys.argv else 0)  # the logged-in run fails
"""


@pytest.fixture
def sigterm_restored():
    """main() makes SIGTERM unwind like Ctrl-C; this test process gets its handler back."""
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.slow
@pytest.mark.usefixtures("sigterm_restored")
def test_the_contract_check_runs_st_anonymous_then_logged_in(tmp_path, monkeypatch, capsys):
    st = tmp_path / "st"
    st.write_text(STAND_IN_ST.format(python=sys.executable))
    st.chmod(0o755)
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("ST_RECORD", str(record))
    assert main(["--max-examples", "3", "--", "--phases=examples"], st=st) == 1
    anonymous, user = [json.loads(line) for line in record.read_text().splitlines()]
    for run in (anonymous, user):
        assert run["argv"][0] == "run"
        assert run["argv"][1].endswith("/openapi.json")
        assert run["argv"][2:5] == ["--checks", "all", "--no-color"]
        assert run["argv"][-3:] == ["--max-examples", "3", "--phases=examples"]
        assert run["hooks"] == "tests.fuzz.hooks"
    assert "--header" not in anonymous["argv"]
    assert user["argv"][user["argv"].index("--header") + 1].startswith("Authorization: Bearer ")
    assert capsys.readouterr().out.endswith("\nanonymous: passed, user: FAILED\n")
