"""What the server imports before any run: third-party packages only, as a cold run has them.

The list is learned: each warm run reports the modules it imported from the environment's
package directories (never the checkout's: the project's modules, conftests and tests are
imported fresh by every run), and the server imports them once, for every later run. A module
that pytest rewrote in that run (a plugin's, or one named with `-p`) is imported here through
an assertion-rewriting hook too, so that pytest finds it rewritten and does not warn
(PytestAssertRewriteWarning). A module that warns or starts a thread while imported is left
to each run, where a cold run would meet it too.
"""

from __future__ import annotations

import configparser
import contextlib
import importlib
import importlib.metadata
import importlib.util
import os
import site
import sys
import sysconfig
import tomllib
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

PLUGIN = __name__.partition(".")[0]
REWRITE_MARK = "rewrite"
NEVER_MARK = "never"


def package_roots() -> tuple[str, ...]:
    """The directories a preloaded module's file must be in (with a trailing separator), as
    named and with links resolved: the standard library and the installed packages, never a
    checkout or a temporary folder."""
    paths = sysconfig.get_paths()
    folders = {paths[name] for name in ("purelib", "platlib", "stdlib", "platstdlib")}
    folders.update(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        folders.add(site.getusersitepackages())
    folders.update({os.path.realpath(folder) for folder in folders})
    return tuple(sorted(os.path.join(folder, "") for folder in folders))


def in_roots(module: Any, roots: tuple[str, ...]) -> bool | None:
    """Whether the module's file is in one of `roots`; None for a module with no file. The
    path as imported is tried first: resolving links costs a system call per folder."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str):
        return None
    return path.startswith(roots) or os.path.realpath(path).startswith(roots)


def is_third_party(module: Any, roots: tuple[str, ...]) -> bool:
    """Loaded from the environment's package directories (which may be inside the checkout,
    as nox's are): not the project's own code, nor a test's temporary module."""
    return bool(in_roots(module, roots))


def is_runs_own(name: str, module: Any, roots: tuple[str, ...]) -> bool:
    """What a run must import afresh: code from outside the installed packages (the project's,
    an editable install's) and this plugin, which pytest loads and marks for rewriting."""
    if name == PLUGIN or name.startswith(f"{PLUGIN}."):
        return True
    return in_roots(module, roots) is False


def is_rewritten(module: Any) -> bool:
    return type(getattr(module, "__loader__", None)).__name__ == "AssertionRewritingHook"


def thread_count() -> int:
    """Native threads of this process (a C extension's too), where /proc tells; else Python's."""
    with contextlib.suppress(OSError):
        return len(os.listdir("/proc/self/task"))
    import threading

    return threading.active_count()


def read_list(path: Path) -> dict[str, str]:
    """`name [mark]` lines, in the order first learned; a later mark wins."""
    learned: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            name, _, mark = line.partition(" ")
            if name:
                learned[name] = mark if learned.get(name) != NEVER_MARK else NEVER_MARK
    return learned


def append_list(path: Path, entries: Iterable[tuple[str, str]]) -> None:
    """Add lines with one write (O_APPEND), so that runs ending together do not interleave."""
    text = "".join(f"{name} {mark}".rstrip() + "\n" for name, mark in entries)
    if not text:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


class _HookConfig:
    """The little of pytest's Config that its rewriting hook reads while importing a plugin.

    The server has no pytest session (it never reads the project's conftests); the rewritten
    plugin modules depend only on `enable_assertion_pass_hook`, read from the checkout's ini.
    """

    def __init__(self, pass_hook: bool) -> None:
        import pytest
        from _pytest.assertion.rewrite import assertstate_key

        self.stash = pytest.Stash()
        self.stash[assertstate_key] = cast(Any, SimpleNamespace(trace=lambda *args: None))
        self._ini = {
            "python_files": ["test_*.py", "*_test.py"],
            "enable_assertion_pass_hook": pass_hook,
        }

    def getini(self, name: str) -> Any:
        return self._ini[name]


class Preloader:
    """Imports modules into the server, as rewritten as a cold run would have them."""

    def __init__(self, learned: Path, pass_hook: bool) -> None:
        from _pytest.assertion.rewrite import AssertionRewritingHook

        self.learned = learned
        self.roots = package_roots()
        self.hook = AssertionRewritingHook(_HookConfig(pass_hook))  # type: ignore[arg-type]
        self.skipped: dict[str, str] = {}
        # Set when an import started a thread, which cannot be undone: the server must start
        # afresh (the list now says never for that module).
        self.threaded: str | None = None
        # is_runs_own of each module the server holds, by name and module: judged once (the
        # server imports only in base and learn), not in every run.
        self._own: dict[tuple[str, int], bool] = {}

    def runs_own(self) -> list[str]:
        """The modules held now that a run must drop and import afresh."""
        own = []
        for name, module in list(sys.modules.items()):
            key = (name, id(module))
            verdict = self._own.get(key)
            if verdict is None:
                verdict = self._own[key] = is_runs_own(name, module, self.roots)
            if verdict:
                own.append(name)
        return own

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        sys.meta_path.insert(0, self.hook)
        try:
            yield
        finally:
            sys.meta_path.remove(self.hook)

    def base(self) -> None:
        """pytest and its third-party plugins (their modules marked for rewriting, as pytest
        marks them), then what earlier runs were seen to import."""
        import pytest  # noqa: F401

        plugins: list[str] = []
        for dist in importlib.metadata.distributions():
            points = [point for point in dist.entry_points if point.group == "pytest11"]
            if points:
                self.hook.mark_rewrite(*top_level_names(dist))
                plugins.extend(point.value.partition(":")[0].strip() for point in points)
        never = {name for name, mark in read_list(self.learned).items() if mark == NEVER_MARK}
        with self.installed():
            for name in dict.fromkeys(plugins):
                if self.threaded is not None:
                    break
                if name not in never and self.installed_package(name):
                    self.load(name, rewrite=False, record=False)
        self.learn()

    def learn(self) -> list[str]:
        """Import what runs reported since the last call; return the names newly loaded."""
        loaded = []
        with self.installed():
            for name, mark in read_list(self.learned).items():
                if self.threaded is not None:
                    break
                if mark == NEVER_MARK:
                    self.skipped.setdefault(name, "never, said an earlier server")
                if name in sys.modules or name in self.skipped:
                    continue
                if self.load(name, rewrite=mark == REWRITE_MARK, record=True):
                    loaded.append(name)
        return loaded

    def load(self, name: str, rewrite: bool, record: bool) -> bool:
        """Import `name`, or leave it to the runs (undoing the import) and say why in the log."""
        if rewrite:
            self.hook.mark_rewrite(name)
        before = set(sys.modules)
        threads = thread_count()
        reason = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                importlib.import_module(name)
            except BaseException as error:
                reason = f"import failed: {type(error).__name__}: {error}"
        if reason is None and caught:
            reason = f"warns when imported: {caught[0].category.__name__}: {caught[0].message}"
        if reason is None:
            reason = self._outside(set(sys.modules) - before)
        if reason is None and thread_count() != threads:
            reason = "started a thread when imported"
            self.threaded = f"{name} started a thread when imported"
        if reason is None:
            return True
        for new in set(sys.modules) - before:
            sys.modules.pop(new, None)
        self.skipped[name] = reason
        print(f"not preloaded: {name}: {reason}", file=sys.stderr, flush=True)
        if record or self.threaded:
            append_list(self.learned, [(name, NEVER_MARK)])
        return False

    def installed_package(self, name: str) -> bool:
        """Whether a plugin's top-level module is an installed package's (not an editable
        install of a project, this plugin included)."""
        top = name.partition(".")[0]
        if top == PLUGIN:
            return False
        with contextlib.suppress(ImportError, ValueError):
            spec = importlib.util.find_spec(top)
            if spec is not None and spec.origin:
                return os.path.realpath(spec.origin).startswith(self.roots)
        return False

    def _outside(self, names: set[str]) -> str | None:
        """Why modules just imported must not stay: one of them is a run's own."""
        for new in sorted(names):
            if is_runs_own(new, sys.modules.get(new), self.roots):
                return f"imports {new}, which each run imports afresh"
        return None

    def report(self, before: set[str]) -> list[tuple[str, str]]:
        """In a run's child, after the run: third-party modules imported that the server had
        not, in import order, each marked when pytest rewrote it."""
        return [
            (name, REWRITE_MARK if is_rewritten(module) else "")
            for name, module in list(sys.modules.items())
            if name not in before
            and name not in self.skipped  # known, and left to the runs on purpose
            and is_third_party(module, self.roots)
        ]


def top_level_names(dist: importlib.metadata.Distribution) -> set[str]:
    """The top-level modules and packages a plugin's distribution installs: what pytest marks
    for rewriting (a module at the top, a package's `__init__.py` one level down)."""
    names = set()
    for file in dist.files or []:
        path = str(file)
        if "/" not in path and path.endswith(".py"):
            name = path[:-3]
            if name != "setup" and not name.startswith("__editable__"):
                names.add(name)
        elif path.count("/") == 1 and path.endswith("/__init__.py"):
            names.add(path.partition("/")[0])
    return names


def assertion_pass_hook(root: Path) -> bool:
    """The checkout's `enable_assertion_pass_hook`, which changes how plugins are rewritten."""
    sections = (("pytest.ini", "pytest"), (".pytest.ini", "pytest"), ("tox.ini", "pytest"),
                ("setup.cfg", "tool:pytest"))  # fmt: skip
    for name, section in sections:
        parser = configparser.ConfigParser(interpolation=None)
        with contextlib.suppress(OSError, configparser.Error):
            parser.read(root / name)
            if parser.has_section(section):
                return parser.getboolean(section, "enable_assertion_pass_hook", fallback=False)
    with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
        options = tomllib.loads((root / "pyproject.toml").read_text())
        ini = options.get("tool", {}).get("pytest", {}).get("ini_options", {})
        return str(ini.get("enable_assertion_pass_hook", "false")).lower() in ("true", "1")
    return False
