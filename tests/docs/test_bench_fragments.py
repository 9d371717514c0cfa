"""The benchmarks write their results as docs fragments (bench/report.py); the benchmark page
includes every one."""

from __future__ import annotations

import ast
import datetime
import re
from pathlib import Path

import pytest

from bench import report

REPO = Path(__file__).resolve().parents[2]
BENCHES = sorted((REPO / "bench").glob("bench_*.py"))


def test_a_successful_run_writes_its_output_and_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with report.fragment("demo", "A demo", directory=tmp_path):
        print("ratio 0.42")
    assert "ratio 0.42" in capsys.readouterr().out  # still shown as usual
    text = (tmp_path / "demo.md").read_text()
    assert text.startswith("### A demo\n")
    assert "`make bench-demo`" in text and "cores (" in text and "Python " in text
    assert "```text\nratio 0.42\n```" in text


@pytest.mark.parametrize("failure", [SystemExit(1), RuntimeError("boom")])
def test_a_failed_run_writes_nothing(tmp_path: Path, failure: BaseException) -> None:
    with pytest.raises(type(failure)), report.fragment("demo", "A demo", directory=tmp_path):
        print("half a result")
        raise failure
    assert not (tmp_path / "demo.md").exists()


def test_exit_code_zero_counts_as_success(tmp_path: Path) -> None:
    with report.fragment("demo", "A demo", directory=tmp_path):
        raise SystemExit(0)
    assert (tmp_path / "demo.md").exists()


def test_render_dates_the_fragment() -> None:
    when = datetime.datetime(2026, 12, 6, 21, 5, tzinfo=datetime.UTC)
    assert "on 2026-12-06 21:05 UTC; machine: here." in report.render("x", "X", "1", when, "here")


@pytest.mark.parametrize("bench", BENCHES, ids=lambda p: p.stem)
def test_every_benchmark_writes_its_own_fragment(bench: Path) -> None:
    """Its ``__main__`` block runs ``main`` inside ``fragment("<name>", ...)``, name = file's."""
    tree = ast.parse(bench.read_text())
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "fragment"
    ]
    assert len(calls) == 1, f"{bench.name} does not write a fragment"
    assert ast.literal_eval(calls[0].args[0]) == bench.stem.removeprefix("bench_")


def test_the_benchmark_page_includes_every_benchmarks_fragment() -> None:
    page = (REPO / "docs" / "benchmarks.md").read_text()
    included = set(re.findall(r'--8<-- "docs/benchmarks/([a-z_]+)\.md"', page))
    assert included == {b.stem.removeprefix("bench_") for b in BENCHES}
