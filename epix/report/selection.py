"""``--tags`` expressions: which scenarios a run includes.

``@SIG-02``, ``@signatures`` (an area), ``@capability:pull`` or ``@pull`` (a capability),
combined with ``and``, ``or``, ``not`` and parentheses:
``"@signatures and not @SIG-06"``, ``"@ENV-03 or @ENV-04"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(r"\s*(\(|\)|@?[A-Za-z0-9:_.\-]+)")

Predicate = Callable[[set[str]], bool]


class TagExpressionError(ValueError):
    """The ``--tags`` expression cannot be read; the message says where."""


def parse_tags(expression: str) -> Predicate:
    """A predicate over a scenario's tag set (tags without ``@``)."""
    tokens = _tokenize(expression)
    parser = _Parser(tokens, expression)
    predicate = parser.expression()
    if parser.position != len(tokens):
        raise TagExpressionError(f"--tags {expression!r}: unexpected {tokens[parser.position]!r}")
    return predicate


def _tokenize(expression: str) -> list[str]:
    tokens, position = [], 0
    text = expression.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise TagExpressionError(f"--tags {expression!r}: cannot read {text[position:]!r}")
        tokens.append(match.group(1))
        position = match.end()
    if not tokens:
        raise TagExpressionError("--tags is empty: give a tag such as @SIG-02 or @signatures")
    return tokens


def _matches(tag: str) -> Predicate:
    name = tag.removeprefix("@")
    wanted = {name, f"area:{name}", f"capability:{name}"}
    return lambda tags: bool(wanted & tags)


class _Parser:
    def __init__(self, tokens: list[str], source: str):
        self.tokens = tokens
        self.source = source
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise TagExpressionError(f"--tags {self.source!r} ends too early")
        self.position += 1
        return token

    def expression(self) -> Predicate:
        left = self.term()
        while self.peek() == "or":
            self.take()
            right = self.term()
            left = (lambda a, b: lambda tags: a(tags) or b(tags))(left, right)
        return left

    def term(self) -> Predicate:
        left = self.factor()
        while self.peek() == "and":
            self.take()
            right = self.factor()
            left = (lambda a, b: lambda tags: a(tags) and b(tags))(left, right)
        return left

    def factor(self) -> Predicate:
        token = self.take()
        if token == "not":
            inner = self.factor()
            return lambda tags: not inner(tags)
        if token == "(":
            inner = self.expression()
            if self.take() != ")":
                raise TagExpressionError(f"--tags {self.source!r}: a '(' is not closed")
            return inner
        if token in (")", "and", "or"):
            raise TagExpressionError(f"--tags {self.source!r}: unexpected {token!r}")
        return _matches(token)
