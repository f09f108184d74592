"""The warm runner's preloader and a child run, case by case: what a run leaves to itself, how
it ends (the whole-run proofs are in test_warm.py and test_warm_lifetime.py)."""

from __future__ import annotations

import importlib.metadata
import os
import signal
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_fastapi_db.warm.child import system_exit_code
from pytest_fastapi_db.warm.preload import (
    NEVER_MARK,
    Preloader,
    append_list,
    is_rewritten,
    read_list,
    top_level_names,
)
from support import run_captured

# The preloader.


def test_the_learned_list_keeps_order_and_never_forgets_never(tmp_path: Path) -> None:
    learned = tmp_path / "modules"
    append_list(learned, [])
    assert not learned.exists()  # nothing to add: not even an empty file
    append_list(learned, [("a", ""), ("b", "rewrite"), ("a", NEVER_MARK), ("a", "rewrite")])
    learned.write_text(learned.read_text() + "\n")
    assert read_list(learned) == {"a": NEVER_MARK, "b": "rewrite"}
    assert read_list(tmp_path / "absent") == {}


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path for modules made by the test; they leave sys.modules after it."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    before = set(sys.modules)
    yield folder
    for name in set(sys.modules) - before:
        del sys.modules[name]


def make_module(folder: Path, name: str, source: str) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(source))


def test_a_module_that_warns_fails_or_imports_the_projects_code_is_left_to_the_runs(
    tmp_path: Path, modules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_module(modules, "pfd_warns", "import warnings\nwarnings.warn(UserWarning('old'))\n")
    make_module(modules, "pfd_fails", "raise ImportError('needs a driver')\n")
    make_module(modules, "pfd_own", "X = 1\n")  # outside the package folders: the project's
    learned = tmp_path / "modules"
    preloader = Preloader(learned, pass_hook=False)
    assert not preloader.load("pfd_warns", rewrite=False, record=True)
    assert not preloader.load("pfd_fails", rewrite=False, record=True)
    assert not preloader.load("pfd_own", rewrite=False, record=False)
    assert preloader.skipped == {
        "pfd_warns": "warns when imported: UserWarning: old",
        "pfd_fails": "import failed: ImportError: needs a driver",
        "pfd_own": "imports pfd_own, which each run imports afresh",
    }
    assert not {"pfd_warns", "pfd_fails", "pfd_own"} & set(sys.modules)  # undone
    assert read_list(learned) == {"pfd_warns": NEVER_MARK, "pfd_fails": NEVER_MARK}
    assert "not preloaded: pfd_own: imports pfd_own" in capsys.readouterr().err
    assert not preloader.installed_package("pfd_no_such_module")
    assert preloader.installed_package("pytest")


def test_learning_loads_what_runs_reported_rewritten_and_stops_at_a_thread(
    tmp_path: Path, modules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_module(modules, "pfd_plain", "def check():\n    assert 1 == 2\n")
    make_module(modules, "pfd_checked", "def check():\n    assert 1 == 2\n")
    starts = "import threading, time\nthreading.Thread(target=time.sleep, args=(0.2,)).start()\n"
    make_module(modules, "pfd_thread", starts)
    make_module(modules, "pfd_after", "X = 1\n")
    learned = tmp_path / "modules"
    append_list(learned, [("pfd_plain", ""), ("pfd_checked", "rewrite"), ("pfd_gone", NEVER_MARK),
                          ("pfd_thread", ""), ("pfd_after", "")])  # fmt: skip
    preloader = Preloader(learned, pass_hook=False)
    preloader.roots = (*preloader.roots, str(modules) + os.sep)  # these count as installed
    assert preloader.learn() == ["pfd_plain", "pfd_checked"]
    assert not is_rewritten(sys.modules["pfd_plain"])
    assert is_rewritten(sys.modules["pfd_checked"])
    assert preloader.skipped["pfd_gone"] == "never, said an earlier server"
    assert preloader.threaded == "pfd_thread started a thread when imported"
    assert "pfd_after" not in sys.modules  # the server starts afresh before importing more
    assert read_list(learned)["pfd_thread"] == NEVER_MARK
    assert "not preloaded: pfd_thread: started a thread when imported" in capsys.readouterr().err


def test_a_plugins_top_level_names_leave_out_setup_and_editable_finders(tmp_path: Path) -> None:
    info = tmp_path / "plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plugin\nVersion: 1.0\n")
    files = ["setup.py", "__editable___plugin_finder.py", "plugin_mod.py", "plugin_pkg/__init__.py",
             "plugin_pkg/sub/__init__.py", "README.txt"]  # fmt: skip
    (info / "RECORD").write_text("".join(f"{name},,\n" for name in files))
    for name in files:  # Python 3.13 lists only the files that exist
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    dist = importlib.metadata.PathDistribution(info)
    assert top_level_names(dist) == {"plugin_mod", "plugin_pkg"}


# A child run.


def test_a_system_exit_becomes_the_code_the_interpreter_would_give(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert system_exit_code(None) == 0
    assert system_exit_code(3) == 3
    assert system_exit_code("cannot go on") == 1
    assert capsys.readouterr().err == "cannot go on\n"


CHILD = """
import os
import sys
from pathlib import Path
from pytest_fastapi_db.warm.child import run
from pytest_fastapi_db.warm.preload import Preloader

request = {"cwd": sys.argv[1], "umask": 0o022, "env": dict(os.environ),
           "script": "pytest", "args": sys.argv[2:]}
run(request, [], [], Preloader(Path(sys.argv[1]) / "learned", pass_hook=False))
"""


def warm_child(cwd: Path, *args: str) -> list[str]:
    """A child run in `cwd` with pytest's `args`, started as the warm server starts one."""
    return [sys.executable, "-c", CHILD, str(cwd), *args]


def test_a_child_that_cannot_become_the_run_exits_with_its_traceback(tmp_path: Path) -> None:
    result = run_captured(warm_child(tmp_path / "gone"))
    assert result.returncode == 70, result.stderr
    assert "FileNotFoundError" in result.stderr


def test_a_conftest_that_exits_ends_the_child_as_it_would_the_interpreter(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text("import sys\nsys.exit('no database here')\n")
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    result = run_captured(warm_child(tmp_path, "-p", "no:cacheprovider", "test_x.py"))
    assert result.returncode == 1, result.stderr
    assert result.stderr.endswith("no database here\n")


@pytest.mark.parametrize(
    ("raised", "code"),
    [
        pytest.param("KeyboardInterrupt()", -signal.SIGINT, id="interrupt-dies-by-sigint"),
        pytest.param("GeneratorExit()", 1, id="other-base-exception"),
    ],
)
def test_an_uncaught_exception_ends_the_child_as_it_would_the_interpreter(
    tmp_path: Path, raised: str, code: int
) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(f"raise {raised}\n")
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    result = run_captured(warm_child(tmp_path, "-p", "no:cacheprovider", "test_x.py"))
    assert result.returncode == code, result.stderr
    assert f"\n{raised.removesuffix('()')}\n" in result.stderr  # the traceback's last line
