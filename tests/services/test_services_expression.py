"""services.expression: the calculator's parser and evaluator, without any HTTP."""

from __future__ import annotations

import operator

import pytest

from services.expression import (
    MAX_NESTING,
    BinOp,
    ExpressionError,
    Neg,
    Num,
    evaluate,
    parse,
)

PYTHON_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def python_apply(op: str, a: float, b: float) -> float:
    return PYTHON_OPS[op](a, b)


def calc(text: str) -> float:
    return evaluate(parse(text), python_apply)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(5+6)*2", 22),
        ("5+6*2", 17),
        ("2*3+4", 10),
        ("2+3*4-1", 13),
        ("8-3-2", 3),
        ("16/4/2", 2),
        ("2*3/4", 1.5),
        ("8-(3-2)", 7),
        ("16/(4/2)", 8),
        ("((((7))))", 7),
        ("1.5+.5", 2),
        ("5.*2", 10),
        ("2e3+1", 2001),
        ("1E-2*100", 1),
        ("-5+2", -3),
        ("-(2+3)", -5),
        ("2*-3", -6),
        ("2--3", 5),
        ("--5", 5),
        ("+5", 5),
        ("-2*-2", 4),
        ("- 4 / 2", -2),
        (" \t1 +\n2\r\n", 3),
        ("0.1+0.2", 0.1 + 0.2),
    ],
)
def test_evaluates_with_precedence_and_left_associativity(text: str, expected: float) -> None:
    assert calc(text) == expected


def test_tree_shape_is_left_associative() -> None:
    assert parse("8-3-2") == BinOp("-", BinOp("-", Num(8, 0), Num(3, 2), 1), Num(2, 4), 3)
    assert parse("-2*3") == BinOp("*", Neg(Num(2, 1), 0), Num(3, 3), 2)


def test_operations_are_applied_left_to_right_one_at_a_time() -> None:
    calls: list[tuple[str, float, float]] = []

    def recording(op: str, a: float, b: float) -> float:
        calls.append((op, a, b))
        return python_apply(op, a, b)

    assert evaluate(parse("(1+2)*(3+4)-10/5"), recording) == 19
    assert calls == [("+", 1, 2), ("+", 3, 4), ("*", 3, 7), ("/", 10, 5), ("-", 21, 2)]


def test_unary_minus_is_local_not_a_service_call() -> None:
    calls: list[str] = []
    assert evaluate(parse("-(-3)"), lambda op, a, b: calls.append(op) or 0.0) == 3
    assert calls == []


def test_long_chains_need_no_deep_recursion() -> None:
    assert calc("+".join(["1"] * 3000)) == 3000
    assert calc("-".join(["1"] * 3000)) == 1 - 2999


def test_nesting_limit() -> None:
    assert calc("(" * MAX_NESTING + "1" + ")" * MAX_NESTING) == 1
    assert calc("-" * MAX_NESTING + "1") == 1
    with pytest.raises(ExpressionError, match="nested deeper"):
        parse("(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1))
    with pytest.raises(ExpressionError, match="nested deeper"):
        parse("-" * (MAX_NESTING + 1) + "1")


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("", 1, "empty expression"),
        ("   ", 1, "empty expression"),
        ("(5+*6)", 4, "expected a number or '(', got '*'"),
        ("5 6", 3, "expected an operator (+ - * /) or the end, got '6'"),
        ("(5+6", 5, "expected ')' to close the '(' at position 1, got end of input"),
        ("5+", 3, "expected a number or '(', got end of input"),
        ("abc", 1, "expected a number or '(', got 'a'"),
        ("5)", 2, "expected an operator (+ - * /) or the end, got ')'"),
        ("2e", 2, "got 'e'"),
        ("2^3", 2, "got '^'"),
        ("()", 2, "expected a number or '(', got ')'"),
        ("1..2", 3, "got '.'"),
        ("5 % 2", 3, "got '%'"),
        ("x=1", 1, "got 'x'"),
    ],
)
def test_malformed_expressions_point_at_the_position(
    text: str, position: int, message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert error.position + 1 == position
    assert message in str(error)
    if text.strip():
        assert str(error).endswith(f"at position {position}")


def test_describe_shows_a_window_of_a_long_expression_with_the_caret_in_place() -> None:
    text = "(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1) + "+1" * 2000
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    message, shown, caret = caught.value.describe().splitlines()
    assert "nested deeper" in message
    assert shown.startswith("...(") and shown.endswith("...")
    assert len(shown) <= 70
    assert shown[caret.index("^")] == text[caught.value.position]
    assert set(caret[: caret.index("^")]) == {" "}


def test_describe_puts_a_caret_under_the_offending_character() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("(5+\t*6)")
    assert caught.value.describe().splitlines() == [
        "expected a number or '(', got '*' at position 5",
        "(5+ *6)",
        "    ^",
    ]
