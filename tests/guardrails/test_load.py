"""A bounded load on the real twin (bench/bench_load.py's generator, smaller): 400 requests from 16
concurrent clients through 127.0.0.1:<publicPort> only, zero errors, every answer exact."""

from __future__ import annotations

import pytest

from cloudlab_tools.load import OperandService, expressions, operand_bodies, run_load
from tests.guardrails.twin import URL, Twin


def test_expressions_have_the_right_answers() -> None:
    from services.expression import evaluate, parse
    from services.jsnumber import format_number

    def apply(op: str, a: float, b: float) -> float:
        return {"+": a + b, "-": a - b, "*": a * b}[op] if op != "/" else a / b

    for expr, reply in expressions(40):
        assert reply == f"result = {format_number(evaluate(parse(expr), apply))}\r\n", expr


@pytest.mark.engine
@pytest.mark.docker
def test_bounded_load_through_the_public_port(twin: Twin) -> None:
    del twin
    result = run_load(URL, expressions(400), concurrency=16)
    assert result.errors == [] and result.wrong == []
    assert len(result.latencies) == 400
    assert result.percentile(99) < 5000


def test_bounded_load_on_one_operand_directly() -> None:
    with OperandService("sum") as service:
        result = run_load(service.url, operand_bodies(400), concurrency=16)
    assert result.ok, (result.errors + result.wrong)[:5]
