"""Infix arithmetic: a small recursive-descent parser and an evaluator (no ``eval``).

Grammar (whitespace allowed between tokens)::

    expression := term (("+" | "-") term)*          left associative
    term       := unary (("*" | "/") unary)*         left associative, binds tighter
    unary      := ("-" | "+") unary | primary
    primary    := NUMBER | "(" expression ")"
    NUMBER     := 12 | 1.5 | .5 | 5. | 2e3 | 1.5E-7    (no sign: signs are unary operators)

The evaluator is pure: every binary operation goes through an ``apply(op, a, b)`` callable
(the calculator passes one that calls the operand services over HTTP), and it evaluates
strictly left to right, one operation at a time. Unary minus/plus is computed locally: the
operand services only do binary operations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Awaitable, Callable, Generator, Union

__all__ = [
    "MAX_NESTING",
    "BinOp",
    "ExpressionError",
    "Neg",
    "Node",
    "Num",
    "count_operations",
    "evaluate",
    "evaluate_async",
    "parse",
]

#: Deepest nesting of parentheses and unary signs accepted (keeps recursion bounded).
MAX_NESTING = 100

_NUMBER_RE = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHITESPACE = " \t\r\n"
#: How much of the expression an error shows before and after the offending spot.
_SHOWN_BEFORE, _SHOWN_AFTER = 40, 20


class ExpressionError(ValueError):
    """A malformed expression; ``position`` is the 0-based offset of the offending spot."""

    def __init__(self, message: str, text: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.position = position

    def __str__(self) -> str:
        return f"{self.message} at position {self.position + 1}"

    def describe(self) -> str:
        """A multi-line explanation: the message, the expression and a caret under the spot.

        Only a window of the expression around the spot is shown (``...`` marks a cut), so a
        4 KiB body is not echoed back whole.
        """
        if not self.text.strip():
            return self.message
        start = max(0, self.position - _SHOWN_BEFORE)
        end = min(len(self.text), self.position + _SHOWN_AFTER)
        shown = "".join(" " if c in "\t\r\n" else c for c in self.text[start:end])
        head = "..." if start > 0 else ""
        tail = "..." if end < len(self.text) else ""
        caret = " " * (len(head) + self.position - start) + "^"
        return f"{self}\n{head}{shown}{tail}\n{caret}"


@dataclass(frozen=True)
class Num:
    """A number literal."""

    value: float
    position: int


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Node
    position: int


@dataclass(frozen=True)
class BinOp:
    """A binary operation; ``op`` is one of ``+ - * /``."""

    op: str
    left: Node
    right: Node
    position: int


Node = Union[Num, Neg, BinOp]  # not ``|``: the services run on Python 3.8


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def error(self, message: str, position: int | None = None) -> ExpressionError:
        return ExpressionError(message, self.text, self.pos if position is None else position)

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def describe_here(self) -> str:
        char = self.peek()
        return f"got {char!r}" if char else "got end of input"

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"expression nested deeper than {MAX_NESTING} levels")

    def expression(self) -> Node:
        node = self.term()
        while (op := self.peek()) in ("+", "-"):
            position = self.pos
            self.pos += 1
            node = BinOp(op, node, self.term(), position)
        return node

    def term(self) -> Node:
        node = self.unary()
        while (op := self.peek()) in ("*", "/"):
            position = self.pos
            self.pos += 1
            node = BinOp(op, node, self.unary(), position)
        return node

    def unary(self) -> Node:
        sign = self.peek()
        if sign not in ("-", "+"):
            return self.primary()
        position = self.pos
        self.pos += 1
        self.enter()
        operand = self.unary()
        self.depth -= 1
        return Neg(operand, position) if sign == "-" else operand

    def primary(self) -> Node:
        char = self.peek()
        if char == "(":
            opening = self.pos
            self.pos += 1
            self.enter()
            node = self.expression()
            self.depth -= 1
            if self.peek() != ")":
                raise self.error(
                    f"expected ')' to close the '(' at position {opening + 1}, "
                    f"{self.describe_here()}"
                )
            self.pos += 1
            return node
        match = _NUMBER_RE.match(self.text, self.pos)
        if match is None:
            raise self.error(f"expected a number or '(', {self.describe_here()}")
        self.pos = match.end()
        return Num(float(match.group()), match.start())

    def parse(self) -> Node:
        if not self.text.strip():
            raise self.error("empty expression", 0)
        node = self.expression()
        if self.peek():
            raise self.error(f"expected an operator (+ - * /) or the end, {self.describe_here()}")
        return node


def parse(text: str) -> Node:
    """Parse an infix expression into a tree; raise :class:`ExpressionError` if malformed."""
    return _Parser(text).parse()


def count_operations(node: Node) -> int:
    """How many binary operations (operand-service calls) evaluating ``node`` makes.
    Iterative, as :func:`evaluate` is, so a long chain needs no deep stack."""
    count = 0
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, BinOp):
            count += 1
            stack.append(current.left)
            stack.append(current.right)
        elif isinstance(current, Neg):
            stack.append(current.operand)
    return count


Apply = Callable[[str, float, float], float]
AsyncApply = Callable[[str, float, float], Awaitable[float]]


def _operations(node: Node) -> Generator[tuple[str, float, float], float, float]:
    """Walk ``node``: yield every binary operation ``(op, a, b)`` in evaluation order and
    receive its result; return the value. Iterative, so long chains need no deep stack. One
    walk serves both :func:`evaluate` and :func:`evaluate_async`."""
    values: list[float] = []
    # Work items: a node to visit, or a marker telling us to combine finished values.
    stack: list[tuple[bool, Node]] = [(False, node)]
    while stack:
        combine, current = stack.pop()
        if isinstance(current, Num):
            values.append(current.value)
        elif isinstance(current, Neg):
            if combine:
                values.append(-values.pop())
            else:
                stack.append((True, current))
                stack.append((False, current.operand))
        elif combine:
            right = values.pop()
            left = values.pop()
            values.append((yield current.op, left, right))
        else:
            stack.append((True, current))
            stack.append((False, current.right))
            stack.append((False, current.left))
    (result,) = values
    return result


def evaluate(node: Node, apply: Apply) -> float:
    """Evaluate ``node``, calling ``apply(op, a, b)`` for every binary operation, left
    operand first, in left-to-right order."""
    walk = _operations(node)
    try:
        step = next(walk)
        while True:
            step = walk.send(apply(*step))
    except StopIteration as done:
        return done.value


async def evaluate_async(node: Node, apply: AsyncApply) -> float:
    """:func:`evaluate` with an ``apply`` that is a coroutine function (the calculator's
    calls to the operand services), awaited one operation at a time, in the same order."""
    walk = _operations(node)
    try:
        step = next(walk)
        while True:
            step = walk.send(await apply(*step))
    except StopIteration as done:
        return done.value
