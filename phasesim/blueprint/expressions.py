"""Conditions and values written in blueprints: ``<+releaseInput.environment> == "production"``.

Blueprints carry small expressions in ``if:`` (a condition) and ``for-each:`` (a value).
This module reads them with a hand-written tokenizer and recursive-descent parser and
evaluates them against a resolver of references. Nothing is ever handed to Python's own
evaluator, so an expression can do nothing but compare and combine values.

Grammar, from lowest to highest precedence::

    expression  := or
    or          := and ("||" and)*
    and         := not ("&&" not)*
    not         := "!" not | comparison
    comparison  := primary (("==" | "!=" | "<" | ">" | "<=" | ">=") primary)?
    primary     := "(" expression ")" | reference | string | number
                 | "true" | "false" | "null"
    reference   := "<+" segment ("." segment)* ">"      segment: letters, digits, "_", "-"
    string      := '"' ... '"' | "'" ... "'"            escapes: \\" \\' \\\\
    number      := "-"? digits ("." digits)? (("e" | "E") ("+" | "-")? digits)?

Comparisons do not chain (``a < b < c`` is an error); ``!`` binds more loosely than a
comparison, so ``!<+a> == 1`` means ``!(<+a> == 1)``. ``true``, ``false`` and ``null`` are
case-insensitive. Whitespace between tokens is free.

Evaluation is strict: ``==`` and ``!=`` never convert types (``"3" == 3`` is false, a
boolean is not a number, ``3 == 3.0`` is true); ``<``, ``>``, ``<=`` and ``>=`` need two
numbers or two strings; ``&&``, ``||`` and ``!`` need booleans, and ``&&`` and ``||``
short-circuit.

Examples
--------
>>> condition = parse_expression('<+releaseInput.environment> == "production"')
>>> condition.evaluate_bool({"releaseInput.environment": "production"})
True
>>> condition.references()
('releaseInput.environment',)
>>> is_reference_only("<+releaseInput.services>")
'releaseInput.services'
"""

from __future__ import annotations

import numbers
import operator
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any, NamedTuple

from phasesim.errors import PhasesimError

__all__ = [
    "EvaluationError",
    "Expression",
    "ExpressionError",
    "is_reference_only",
    "parse_expression",
]

#: How deeply parentheses and ``!`` may nest; deeper text is rejected when parsed.
MAX_NESTING = 100

Lookup = Callable[[str], object]
Resolver = Callable[[str], object] | Mapping[str, object]
_Evaluator = Callable[[Lookup], object]

_DIGITS = frozenset(string.digits)
_SEGMENT_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
_NAME_START = frozenset(string.ascii_letters + "_")
_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_")
_NUMBER_TAIL = frozenset(string.ascii_letters + string.digits + "_.")
_ESCAPES = frozenset("\"'\\")
_FUNCTION_TYPES = (FunctionType, MethodType, BuiltinFunctionType)
_COMPARISONS = frozenset(("==", "!=", "<", ">", "<=", ">="))
_ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_SUGGESTED_OPERATOR = {
    "=": "==",
    "===": "==",
    "!==": "!=",
    "=>": ">=",
    "=<": "<=",
    "<>": "!=",
    "&": "&&",
    "|": "||",
}
_WORD_OPERATORS = {"and": "&&", "or": "||", "not": "!"}
_LITERALS: dict[str, object] = {"true": True, "false": False, "null": None}


# --------------------------------------------------------------------------- errors


class _PositionedError(PhasesimError, ValueError):
    """An error about one place in an expression; ``str()`` draws a caret under it."""

    def __init__(self, message: str, text: str, position: int) -> None:
        super().__init__(message, text, position)
        self.message = message
        self.text = text
        self.position = position

    def __str__(self) -> str:
        # One character in, one character out, so the caret stays under its position.
        shown = self.text.translate({ord("\n"): " ", ord("\r"): " ", ord("\t"): " "})
        return f"{self.message}\n  {shown}\n  {' ' * self.position}^"


class ExpressionError(_PositionedError):
    """An expression cannot be parsed.

    Attributes
    ----------
    message : str
        What is wrong, e.g. ``"expected ')' at position 23 to close '(' at position 4"``.
    text : str
        The expression.
    position : int
        0-based character offset of the problem in ``text`` (``len(text)`` when the text
        ended too early).

    Examples
    --------
    >>> try:
    ...     parse_expression('<+releaseInput.env> = "prod"')
    ... except ExpressionError as err:
    ...     print(err)
    unknown operator '=' at position 20 (did you mean '=='?)
      <+releaseInput.env> = "prod"
                          ^
    """


class EvaluationError(_PositionedError):
    """A parsed expression cannot be evaluated with the values it was given.

    Raised for an unknown reference, operands of the wrong type, or (by
    :meth:`Expression.evaluate_bool`) a result that is not a boolean. ``message``, ``text``
    and ``position`` are as in :class:`ExpressionError`.

    Examples
    --------
    >>> try:
    ...     parse_expression("<+releaseInput.count> > 3").evaluate({"releaseInput.count": "7"})
    ... except EvaluationError as err:
    ...     print(err.message)
    '>' at position 22 needs two numbers or two strings, got str '7' and int 3
    """


# --------------------------------------------------------------------------- tokens


class _Token(NamedTuple):
    kind: str  # "ref", "str", "num", "lit", "op", "(", ")", "end" or "error"
    value: object  # the path, the literal's value, the operator, or the ExpressionError
    start: int
    end: int


def _tokenize(text: str) -> list[_Token]:
    """Split ``text`` into tokens, ending with an ``end`` token or an ``error`` token.

    A lexical error becomes the last token instead of being raised at once, so that the
    parser reports a syntax error that comes earlier in the text first.
    """
    tokens: list[_Token] = []
    n = len(text)
    i = 0
    try:
        while i < n:
            c = text[i]
            if c.isspace():
                i += 1
            elif c == "<" and text.startswith("<+", i):
                j, path = _scan_reference(text, i)
                tokens.append(_Token("ref", path, i, j))
                i = j
            elif c in "<>=!&|":
                two = text[i : i + 2]
                if text.startswith(("===", "!=="), i):
                    raise _unknown_operator(text, text[i : i + 3], i)
                if two in ("<=", ">=", "==", "!=", "&&", "||"):
                    tokens.append(_Token("op", two, i, i + 2))
                    i += 2
                elif two in _SUGGESTED_OPERATOR:
                    raise _unknown_operator(text, two, i)
                elif c in "<>!":
                    tokens.append(_Token("op", c, i, i + 1))
                    i += 1
                else:
                    raise _unknown_operator(text, c, i)
            elif c in "()":
                tokens.append(_Token(c, c, i, i + 1))
                i += 1
            elif c in "\"'":
                j, value = _scan_string(text, i)
                tokens.append(_Token("str", value, i, j))
                i = j
            elif c in _DIGITS or (c == "-" and i + 1 < n and text[i + 1] in _DIGITS):
                j, number = _scan_number(text, i)
                tokens.append(_Token("num", number, i, j))
                i = j
            elif c in _NAME_START:
                j, literal = _scan_word(text, i)
                tokens.append(_Token("lit", literal, i, j))
                i = j
            elif c in "+-*/%^~":
                raise ExpressionError(
                    f"unknown operator {c!r} at position {i} (arithmetic is not supported)",
                    text,
                    i,
                )
            else:
                raise ExpressionError(f"unexpected character {c!r} at position {i}", text, i)
    except ExpressionError as err:
        tokens.append(_Token("error", err, err.position, err.position))
    else:
        tokens.append(_Token("end", None, n, n))
    return tokens


def _unknown_operator(text: str, op: str, i: int) -> ExpressionError:
    hint = f" (did you mean {_SUGGESTED_OPERATOR[op]!r}?)" if op in _SUGGESTED_OPERATOR else ""
    return ExpressionError(f"unknown operator {op!r} at position {i}{hint}", text, i)


def _scan_reference(text: str, i: int) -> tuple[int, str]:
    """Read ``<+a.b.c>`` starting at ``i``; return the end offset and ``"a.b.c"``."""
    n = len(text)
    j = i + 2
    while True:
        segment_start = j
        while j < n and text[j] in _SEGMENT_CHARS:
            j += 1
        if j >= n:
            raise ExpressionError(f"unterminated reference at position {i} (expected '>')", text, i)
        c = text[j]
        if j == segment_start:
            if c == ">" and j == i + 2:
                raise ExpressionError(f"empty reference at position {i}", text, i)
            if c in ".>":
                raise ExpressionError(
                    f"empty name in reference at position {j} (names are separated by one '.')",
                    text,
                    j,
                )
        if c == ">":
            return j + 1, text[i + 2 : j]
        if c != ".":
            if c == "[":
                detail = "indexing with [...] is not supported"
            else:
                detail = "names may contain letters, digits, '_' and '-', separated by '.'"
            raise ExpressionError(
                f"invalid character {c!r} in reference at position {j} ({detail})", text, j
            )
        j += 1


def _scan_string(text: str, i: int) -> tuple[int, str]:
    """Read a quoted string starting at ``i``; return the end offset and its value."""
    quote = text[i]
    n = len(text)
    parts: list[str] = []
    j = chunk_start = i + 1
    while j < n:
        c = text[j]
        if c == quote:
            parts.append(text[chunk_start:j])
            return j + 1, "".join(parts)
        if c == "\\":
            if j + 1 >= n:
                break
            escaped = text[j + 1]
            if escaped not in _ESCAPES:
                raise ExpressionError(
                    f"unknown escape '\\{escaped}' at position {j} "
                    "(only \\\", \\' and \\\\ are allowed)",
                    text,
                    j,
                )
            parts.append(text[chunk_start:j])
            parts.append(escaped)
            j += 2
            chunk_start = j
        else:
            j += 1
    raise ExpressionError(f"unterminated string at position {i}", text, i)


def _scan_number(text: str, i: int) -> tuple[int, int | float]:
    """Read ``-12``, ``3.5`` or ``1e3`` starting at ``i``; return the end offset and value."""
    n = len(text)
    j = i + 1
    while j < n and text[j] in _DIGITS:
        j += 1
    is_float = False
    if j + 1 < n and text[j] == "." and text[j + 1] in _DIGITS:
        is_float = True
        j += 2
        while j < n and text[j] in _DIGITS:
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k] in _DIGITS:
            is_float = True
            j = k + 1
            while j < n and text[j] in _DIGITS:
                j += 1
    if j < n and text[j] in _NUMBER_TAIL:
        while j < n and text[j] in _NUMBER_TAIL:
            j += 1
        raise ExpressionError(f"invalid number {text[i:j]!r} at position {i}", text, i)
    try:
        return j, float(text[i:j]) if is_float else int(text[i:j])
    except ValueError:  # more digits than int() accepts
        raise ExpressionError(f"number too long at position {i}", text, i) from None


def _scan_word(text: str, i: int) -> tuple[int, object]:
    """Read ``true``, ``false`` or ``null`` starting at ``i``; reject every other name."""
    n = len(text)
    j = i + 1
    while j < n and text[j] in _NAME_CHARS:
        j += 1
    word = text[i:j]
    lowered = word.lower()
    if lowered in _LITERALS:
        return j, _LITERALS[lowered]
    if lowered in _WORD_OPERATORS:
        raise ExpressionError(
            f"{word!r} is not an operator, use {_WORD_OPERATORS[lowered]!r}", text, i
        )
    # Take in a dotted path as well, so the hint can show the reference that was meant.
    k = j
    while k < n and (text[k] in _SEGMENT_CHARS or (text[k] == "." and k + 1 < n)):
        k += 1
    name = text[i:k].rstrip(".")
    if word == "None":
        hint = "did you mean 'null'?"
    elif text[k:].lstrip().startswith("("):
        hint = "function calls are not supported"
    else:
        hint = f"write references as <+{name}>"
    raise ExpressionError(f"unexpected name {name!r} at position {i} ({hint})", text, i)


def _show(token: _Token, text: str) -> str:
    """Describe a token for a message: its source text in quotes."""
    if token.kind == "end":
        return "end of expression"
    source = text[token.start : token.end]
    if len(source) > 30:
        source = source[:27] + "..."
    return f"'{source}'"


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True, slots=True)
class _Literal:
    value: object
    start: int


@dataclass(frozen=True, slots=True)
class _Reference:
    path: str
    start: int


@dataclass(frozen=True, slots=True)
class _Not:
    operand: _Node
    start: int  # the position of '!'


@dataclass(frozen=True, slots=True)
class _Logical:
    op: str  # "&&" or "||"
    operands: tuple[_Node, ...]  # two or more: a chain a && b && c is one node
    start: int


@dataclass(frozen=True, slots=True)
class _Comparison:
    op: str
    left: _Node
    right: _Node
    op_position: int
    start: int


_Node = _Literal | _Reference | _Not | _Logical | _Comparison


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0
        self.references: dict[str, None] = {}

    def error(self, message: str, position: int) -> ExpressionError:
        return ExpressionError(message, self.text, position)

    def peek(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind == "error":
            assert isinstance(token.value, ExpressionError)
            raise token.value
        return token

    def is_operator(self, token: _Token, ops: frozenset[str] | str) -> bool:
        return token.kind == "op" and token.value in ops

    def enter(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(
                f"expression nested too deeply at position {position} "
                f"(at most {MAX_NESTING} levels of '(' and '!')",
                position,
            )

    def parse(self) -> _Node:
        token = self.peek()
        if token.kind == "end":
            raise self.error("empty expression", 0)
        node = self.parse_or()
        token = self.peek()
        if token.kind != "end":
            if token.kind == ")":
                detail = " (it has no matching '(')"
            else:
                detail = " (expected an operator such as '==', '&&' or '||')"
            raise self.error(
                f"unexpected {_show(token, self.text)} at position {token.start}{detail}",
                token.start,
            )
        return node

    def parse_logical(self, op: str, parse_operand: Callable[[], _Node]) -> _Node:
        operands = [parse_operand()]
        while self.is_operator(self.peek(), op):
            self.index += 1
            operands.append(parse_operand())
        if len(operands) == 1:
            return operands[0]
        return _Logical(op, tuple(operands), operands[0].start)

    def parse_or(self) -> _Node:
        return self.parse_logical("||", self.parse_and)

    def parse_and(self) -> _Node:
        return self.parse_logical("&&", self.parse_not)

    def parse_not(self) -> _Node:
        token = self.peek()
        if not self.is_operator(token, "!"):
            return self.parse_comparison()
        self.index += 1
        self.enter(token.start)
        operand = self.parse_not()
        self.depth -= 1
        return _Not(operand, token.start)

    def parse_comparison(self) -> _Node:
        left = self.parse_primary()
        token = self.peek()
        if not self.is_operator(token, _COMPARISONS):
            return left
        self.index += 1
        right = self.parse_primary()
        after = self.peek()
        if self.is_operator(after, _COMPARISONS):
            raise self.error(
                f"comparisons cannot be chained: {after.value!r} at position {after.start} "
                f"follows {token.value!r} (combine two comparisons with '&&')",
                after.start,
            )
        assert isinstance(token.value, str)
        return _Comparison(token.value, left, right, token.start, left.start)

    def parse_primary(self) -> _Node:
        token = self.peek()
        kind = token.kind
        if kind in ("str", "num", "lit"):
            self.index += 1
            return _Literal(token.value, token.start)
        if kind == "ref":
            self.index += 1
            assert isinstance(token.value, str)
            self.references[token.value] = None
            return _Reference(token.value, token.start)
        if kind == "(":
            self.index += 1
            self.enter(token.start)
            inner = self.parse_or()
            self.depth -= 1
            closing = self.peek()
            if closing.kind != ")":
                raise self.error(
                    f"expected ')' at position {closing.start} "
                    f"to close '(' at position {token.start}",
                    closing.start,
                )
            self.index += 1
            return inner
        if kind == "end":
            previous = _show(self.tokens[self.index - 1], self.text)
            raise self.error(
                f"unexpected end of expression (expected a value after {previous})",
                token.start,
            )
        if self.is_operator(token, "!"):
            raise self.error(
                f"unexpected '!' at position {token.start} "
                "(put a negated operand of a comparison in parentheses: '(!...)')",
                token.start,
            )
        raise self.error(
            f"expected a value at position {token.start}, found {_show(token, self.text)}",
            token.start,
        )


# --------------------------------------------------------------------------- evaluation


def _describe(value: object) -> str:
    """Name a value and its type for a message: ``str 'abc'``, ``int 3``, ``null``."""
    if value is None:
        return "null"
    if value is True or value is False:
        return f"bool {str(value).lower()}"
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{type(value).__name__} {shown}"


def _is_number(value: object) -> bool:
    kind = type(value)
    if kind is int or kind is float:
        return True
    return kind is not bool and isinstance(value, numbers.Real)


def _equal(left: object, right: object) -> bool:
    """``==`` without conversions: a bool equals only a bool, a number only a number."""
    if left is True or left is False or right is True or right is False:
        return left is right
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str) and left == right
    left_number = _is_number(left)
    if left_number or _is_number(right):
        return left_number and _is_number(right) and bool(left == right)
    return (left == right) is True


def _build(node: _Node, text: str) -> _Evaluator:
    """Turn a syntax-tree node into a closure that evaluates it."""
    if isinstance(node, _Literal):
        return _build_literal(node.value)
    if isinstance(node, _Reference):
        return _build_reference(node, text)
    if isinstance(node, _Not):
        return _build_not(node, text)
    if isinstance(node, _Logical):
        return _build_logical(node, text)
    return _build_comparison(node, text)


def _build_literal(value: object) -> _Evaluator:
    def literal(lookup: Lookup) -> object:
        return value

    return literal


def _build_reference(node: _Reference, text: str) -> _Evaluator:
    path, start = node.path, node.start

    def reference(lookup: Lookup) -> object:
        try:
            return lookup(path)
        except KeyError:
            raise EvaluationError(f"unknown reference <+{path}>", text, start) from None

    return reference


def _build_not(node: _Not, text: str) -> _Evaluator:
    operand, start = _build(node.operand, text), node.start

    def negation(lookup: Lookup) -> object:
        value = operand(lookup)
        if value is True:
            return False
        if value is False:
            return True
        raise EvaluationError(
            f"'!' at position {start} needs true or false, got {_describe(value)}", text, start
        )

    return negation


def _build_logical(node: _Logical, text: str) -> _Evaluator:
    op = node.op
    stop = op == "||"  # the value that decides the result without looking further
    operands = tuple(_build(operand, text) for operand in node.operands)
    starts = tuple(operand.start for operand in node.operands)

    def fail(value: object, index: int) -> EvaluationError:
        return EvaluationError(
            f"{op!r} needs true or false on both sides, "
            f"got {_describe(value)} at position {starts[index]}",
            text,
            starts[index],
        )

    if len(operands) == 2:
        first, second = operands

        def pair(lookup: Lookup) -> object:
            value = first(lookup)
            if value is stop:
                return stop
            if value is not (not stop):
                raise fail(value, 0)
            value = second(lookup)
            if value is True or value is False:
                return value
            raise fail(value, 1)

        return pair

    def chain(lookup: Lookup) -> object:
        for index, evaluate in enumerate(operands):
            value = evaluate(lookup)
            if value is stop:
                return stop
            if value is not (not stop):
                raise fail(value, index)
        return not stop

    return chain


def _build_comparison(node: _Comparison, text: str) -> _Evaluator:
    op, position = node.op, node.op_position
    left, right = _build(node.left, text), _build(node.right, text)
    if op == "==" or op == "!=":
        negate = op == "!="
        if isinstance(node.right, _Literal) and isinstance(node.right.value, str):
            # The common case, <+ref> == "text": a str constant equals only an equal str.
            constant = node.right.value

            def equals_text(lookup: Lookup) -> object:
                value = left(lookup)
                return (isinstance(value, str) and value == constant) is not negate

            return equals_text

        if isinstance(node.right, _Literal) and (
            node.right.value is None or isinstance(node.right.value, bool)
        ):
            # <+ref> == true, <+ref> == null: such a constant equals only itself.
            singleton = node.right.value

            def equals_singleton(lookup: Lookup) -> object:
                return (left(lookup) is singleton) is not negate

            return equals_singleton

        def equals(lookup: Lookup) -> object:
            return _equal(left(lookup), right(lookup)) is not negate

        return equals

    compare = _ORDERINGS[op]

    def ordering(lookup: Lookup) -> object:
        a = left(lookup)
        b = right(lookup)
        if (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
            return bool(compare(a, b))
        raise EvaluationError(
            f"{op!r} at position {position} needs two numbers or two strings, "
            f"got {_describe(a)} and {_describe(b)}",
            text,
            position,
        )

    return ordering


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed blueprint expression, ready to evaluate many times.

    Two expressions are equal (and hash alike) when their text is equal. Build one with
    :func:`parse_expression` (or ``Expression(text)``, which parses the same way).

    Parameters
    ----------
    text : str
        The expression as written, e.g. ``'<+releaseInput.environment> == "production"'``.

    Raises
    ------
    ExpressionError
        If ``text`` is not a valid expression.
    TypeError
        If ``text`` is not a string.

    Examples
    --------
    >>> expr = Expression('<+releaseInput.env> == "production" && !<+releaseInput.skip_qa>')
    >>> expr.references()
    ('releaseInput.env', 'releaseInput.skip_qa')
    >>> expr.evaluate({"releaseInput.env": "production", "releaseInput.skip_qa": False})
    True
    >>> expr == parse_expression(expr.text)
    True
    """

    text: str
    _references: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _evaluator: _Evaluator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"an expression must be a str, got {type(self.text).__name__}")
        parser = _Parser(self.text)
        tree = parser.parse()
        object.__setattr__(self, "_references", tuple(parser.references))
        object.__setattr__(self, "_evaluator", _build(tree, self.text))

    def __reduce__(self) -> tuple[type[Expression], tuple[str]]:
        # Closures do not pickle; parse again on the other side (e.g. in a worker process).
        return (Expression, (self.text,))

    def __str__(self) -> str:
        return self.text

    def references(self) -> tuple[str, ...]:
        """Return the reference paths, unique, in order of first appearance.

        Returns
        -------
        tuple of str
            Paths without the ``<+`` and ``>``, e.g. ``("releaseInput.environment",)``.

        Examples
        --------
        >>> parse_expression("<+a.x> == <+b> || <+a.x> == 1").references()
        ('a.x', 'b')
        """
        return self._references

    def evaluate(self, resolve: Resolver) -> object:
        """Evaluate the expression.

        Parameters
        ----------
        resolve : Mapping[str, object] or callable
            Gives the value of a reference path such as ``"releaseInput.environment"``:
            a mapping is read with ``resolve[path]``, a callable is called as
            ``resolve(path)``. A missing key (a ``KeyError``) makes the reference unknown.

        Returns
        -------
        object
            The value: a bool for conditions, or whatever a lone reference or literal gives.

        Raises
        ------
        EvaluationError
            For an unknown reference or operands of the wrong type.
        TypeError
            If ``resolve`` is neither a mapping nor callable.

        Examples
        --------
        >>> expr = parse_expression("<+releaseInput.services>")
        >>> expr.evaluate({"releaseInput.services": ["api", "web"]})
        ['api', 'web']
        >>> parse_expression("<+n> >= 2.5").evaluate(lambda path: 3)
        True
        """
        if isinstance(resolve, dict):  # the fast paths first: a dict, a function
            return self._evaluator(resolve.__getitem__)
        if isinstance(resolve, _FUNCTION_TYPES):
            return self._evaluator(resolve)
        if isinstance(resolve, Mapping):
            return self._evaluator(resolve.__getitem__)
        if not callable(resolve):
            raise TypeError(
                f"resolve must be a mapping or a callable, got {type(resolve).__name__}"
            )
        return self._evaluator(resolve)

    def evaluate_bool(self, resolve: Resolver) -> bool:
        """Evaluate a condition, which must give ``true`` or ``false``.

        Parameters
        ----------
        resolve : Mapping[str, object] or callable
            As for :meth:`evaluate`.

        Returns
        -------
        bool

        Raises
        ------
        EvaluationError
            As for :meth:`evaluate`, and when the result is not a bool.

        Examples
        --------
        >>> parse_expression("<+releaseInput.db_migration> == true").evaluate_bool(
        ...     {"releaseInput.db_migration": True}
        ... )
        True
        """
        value = self.evaluate(resolve)
        if value is True or value is False:
            return value
        raise EvaluationError(
            f"a condition must give true or false, got {_describe(value)}", self.text, 0
        )


def parse_expression(text: str) -> Expression:
    """Parse an expression, checking all of it now.

    Parameters
    ----------
    text : str
        E.g. ``'<+releaseInput.environment> == "production" && <+releaseInput.n> > 3'``.

    Returns
    -------
    Expression

    Raises
    ------
    ExpressionError
        With the ``position`` of the first problem and a message saying what was expected.

    Examples
    --------
    >>> parse_expression("(<+a> > 3 || !<+b>) && <+c> != 'x'").references()
    ('a', 'b', 'c')
    >>> parse_expression("<+a> and <+b>")
    Traceback (most recent call last):
    ...
    phasesim.blueprint.expressions.ExpressionError: 'and' is not an operator, use '&&'
      <+a> and <+b>
           ^
    """
    return Expression(text)


def is_reference_only(text: str) -> str | None:
    """Return the path if ``text`` is exactly one reference, else ``None``.

    Surrounding whitespace is allowed. ``for-each:`` values use this to take a list
    straight from the inputs.

    Parameters
    ----------
    text : str

    Returns
    -------
    str or None

    Examples
    --------
    >>> is_reference_only("  <+releaseInput.services> ")
    'releaseInput.services'
    >>> is_reference_only("<+a> == 1") is None
    True
    """
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    if not stripped.startswith("<+") or not stripped.endswith(">"):
        return None
    path = stripped[2:-1]
    segments = path.split(".")
    if all(segment and _SEGMENT_CHARS.issuperset(segment) for segment in segments):
        return path
    return None
