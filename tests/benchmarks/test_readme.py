"""README.md's result tables are the committed baseline's, rendered (`nox -s bench -- --readme`)."""

from __future__ import annotations

from benchmarks.cli import BASELINE, README
from benchmarks.report import README_BLOCK, load, readme_blocks, rewrite_readme


def test_the_readme_shows_the_committed_baseline():
    text = README.read_text()
    assert {match[2] for match in README_BLOCK.finditer(text)} == {"main", "engines"}
    assert rewrite_readme(text, readme_blocks(load(BASELINE))) == text, (
        "README.md's bench tables differ from benchmarks/baseline.json: "
        "run `python -m nox -s bench -- --readme`"
    )


def test_a_changed_number_is_caught():
    blocks = readme_blocks(load(BASELINE))
    text = "<!-- bench:main -->\nold\n<!-- /bench:main -->\n"
    assert (
        rewrite_readme(text, blocks)
        == f"<!-- bench:main -->\n{blocks['main']}\n<!-- /bench:main -->\n"
    )
