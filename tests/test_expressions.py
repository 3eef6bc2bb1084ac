"""Tests of phasesim.blueprint.expressions: tokenizer, parser, evaluation, errors."""

from __future__ import annotations

import builtins
import copy
import dataclasses
import doctest
import io
import pickle
import tokenize
from collections import UserDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phasesim.blueprint import expressions
from phasesim.blueprint.expressions import (
    EvaluationError,
    Expression,
    ExpressionError,
    is_reference_only,
    parse_expression,
)
from phasesim.errors import PhasesimError


def ev(text: str, env: Mapping[str, object] | None = None) -> object:
    return parse_expression(text).evaluate({} if env is None else env)


# --------------------------------------------------------------------------- documented examples

DOC_CONDITION = '<+releaseInput.environment> == "production"'
BRIEF_CONDITION = (
    '<+releaseInput.environment> == "production" && '
    "(<+releaseInput.services_count> > 3 || !<+releaseInput.skip_qa>)"
)


@pytest.mark.parametrize(("environment", "expected"), [("production", True), ("staging", False)])
def test_documented_condition(environment: str, expected: bool) -> None:
    expr = parse_expression(DOC_CONDITION)
    assert expr.evaluate_bool({"releaseInput.environment": environment}) is expected
    assert expr.references() == ("releaseInput.environment",)


@pytest.mark.parametrize(
    ("environment", "count", "skip_qa", "expected"),
    [
        ("production", 5, True, True),
        ("production", 3, False, True),
        ("production", 3, True, False),
        ("production", 4.5, True, True),
        ("staging", 5, False, False),
    ],
)
def test_condition_from_brief(
    environment: str, count: float, skip_qa: bool, expected: bool
) -> None:
    env = {
        "releaseInput.environment": environment,
        "releaseInput.services_count": count,
        "releaseInput.skip_qa": skip_qa,
    }
    assert parse_expression(BRIEF_CONDITION).evaluate(env) is expected


def test_blueprint_conditions_and_for_each() -> None:
    expr = parse_expression("<+releaseInput.db_migration> == true")
    assert expr.evaluate_bool({"releaseInput.db_migration": True}) is True
    assert expr.evaluate_bool({"releaseInput.db_migration": False}) is False
    assert expr.evaluate_bool({"releaseInput.db_migration": 1}) is False
    services = parse_expression("<+releaseInput.services>")
    assert services.evaluate({"releaseInput.services": ["api", "web"]}) == ["api", "web"]
    assert is_reference_only("<+releaseInput.services>") == "releaseInput.services"


def test_docstring_examples_run() -> None:
    result = doctest.testmod(expressions, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10
    assert result.failed == 0


# --------------------------------------------------------------------------- boolean logic


@pytest.mark.parametrize("a", [True, False])
@pytest.mark.parametrize("b", [True, False])
def test_truth_tables(a: bool, b: bool) -> None:
    env = {"a": a, "b": b}
    assert ev("<+a> && <+b>", env) is (a and b)
    assert ev("<+a> || <+b>", env) is (a or b)
    assert ev("!<+a>", env) is (not a)
    assert ev("!!<+a>", env) is a
    assert ev("!<+a> && <+b>", env) is ((not a) and b)
    assert ev("!(<+a> && <+b>)", env) is (not (a and b))
    assert ev("<+a> == <+b>", env) is (a == b)
    assert ev("<+a> != <+b>", env) is (a != b)


@pytest.mark.parametrize("a", [True, False])
@pytest.mark.parametrize("b", [True, False])
@pytest.mark.parametrize("c", [True, False])
def test_precedence_and_parentheses(a: bool, b: bool, c: bool) -> None:
    env = {"a": a, "b": b, "c": c}
    assert ev("<+a> || <+b> && <+c>", env) is (a or (b and c))
    assert ev("<+a> && <+b> || <+c>", env) is ((a and b) or c)
    assert ev("(<+a> || <+b>) && <+c>", env) is ((a or b) and c)
    assert ev("<+a> && (<+b> || <+c>)", env) is (a and (b or c))
    assert ev("!<+a> || <+b> && !<+c>", env) is ((not a) or (b and not c))
    assert ev("((<+a>)) && (((<+b>) || <+c>))", env) is (a and (b or c))
    assert ev("<+a> && <+b> && <+c>", env) is (a and b and c)
    assert ev("<+a> || <+b> || <+c>", env) is (a or b or c)
    # '!' binds more loosely than a comparison: !a == b means !(a == b).
    assert ev("!<+a> == <+b>", env) is (a != b)
    assert ev("(!<+a>) == <+b>", env) is ((not a) == b)


def test_short_circuit_skips_the_right_side() -> None:
    calls: list[str] = []

    def resolve(path: str) -> object:
        calls.append(path)
        return {"t": True, "f": False}[path]

    assert parse_expression("<+f> && <+missing>").evaluate(resolve) is False
    assert parse_expression("<+t> || <+missing>").evaluate(resolve) is True
    assert parse_expression("<+t> && <+f> && <+missing>").evaluate(resolve) is False
    assert parse_expression("<+f> || <+t> || <+missing>").evaluate(resolve) is True
    assert "missing" not in calls
    with pytest.raises(EvaluationError, match=r"unknown reference <\+missing>"):
        parse_expression("<+t> && <+missing>").evaluate(resolve)


def test_long_chains_do_not_recurse() -> None:
    text = " && ".join(["true"] * 3000)
    assert parse_expression(text).evaluate({}) is True
    assert parse_expression(" || ".join(["false"] * 3000)).evaluate({}) is False


# --------------------------------------------------------------------------- literals


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("TRUE", True),
        ("True", True),
        ("false", False),
        ("FaLsE", False),
        ("null", None),
        ("NULL", None),
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("3.25", 3.25),
        ("-0.5", -0.5),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        ('"production"', "production"),
        ("'production'", "production"),
        ('""', ""),
        ("''", ""),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'it\'s'", "it's"),
        (r'"back\\slash"', "back\\slash"),
        (r"'mixed \" and \''", "mixed \" and '"),
        ('"it\'s"', "it's"),
        ("'say \"hi\"'", 'say "hi"'),
        ('"<+not.a.reference> && x"', "<+not.a.reference> && x"),
        ('"été ✓"', "été ✓"),
    ],
)
def test_literal_values(text: str, value: object) -> None:
    result = ev(text)
    assert result == value
    assert type(result) is type(value)


def test_literal_types_int_and_float() -> None:
    assert type(ev("3")) is int
    assert type(ev("3.0")) is float


# --------------------------------------------------------------------------- comparisons


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 < 2", True),
        ("2 < 1", False),
        ("2 < 2", False),
        ("2 <= 2", True),
        ("3 <= 2", False),
        ("3 > 2", True),
        ("2 > 2", False),
        ("2 >= 2", True),
        ("1 >= 2", False),
        ("2 == 2", True),
        ("2 != 2", False),
        ("2 != 3", True),
        ("-1 < 0", True),
        ("-2.5 > -3", True),
        # mixed int and float
        ("3 == 3.0", True),
        ("3.0 != 3", False),
        ("1 < 1.5", True),
        ("2.0 >= 2", True),
        ("2.0 > 2", False),
        ("1e2 == 100", True),
        # strings, code-point order
        ('"abc" < "abd"', True),
        ('"abc" <= "abc"', True),
        ('"b" > "a"', True),
        ('"B" < "a"', True),
        ('"abc" >= "abcd"', False),
        ('"x" == "x"', True),
        ("'x' == \"x\"", True),
        ('"x" != "y"', True),
        ('"" < "a"', True),
        # no coercion in equality
        ('"3" == 3', False),
        ('"3" != 3', True),
        ("true == 1", False),
        ("1 == true", False),
        ("false == 0", False),
        ("0.0 == false", False),
        ("true == true", True),
        ("true != false", True),
        ('"true" == true', False),
        ("null == null", True),
        ("null == false", False),
        ("null == 0", False),
        ('null == ""', False),
        ("null != null", False),
    ],
)
def test_comparisons(text: str, expected: bool) -> None:
    assert ev(text) is expected


def test_comparisons_with_reference_values() -> None:
    env: dict[str, object] = {
        "n": 5,
        "f": 5.0,
        "s": "5",
        "b": True,
        "none": None,
        "items": ["a", "b"],
        "other": ["a", "b"],
        "mapping": {"k": 1},
    }
    assert ev("<+n> == <+f>", env) is True
    assert ev("<+n> == <+s>", env) is False
    assert ev('<+s> == "5"', env) is True
    assert ev('<+n> != "5"', env) is True
    assert ev("<+b> == 1", env) is False
    assert ev("<+b> == true", env) is True
    assert ev("<+n> == true", env) is False
    assert ev("<+none> == null", env) is True
    assert ev("<+n> != null", env) is True
    assert ev("<+items> == <+other>", env) is True
    assert ev("<+items> == <+mapping>", env) is False
    assert ev('<+items> == "a"', env) is False
    assert ev("<+n> > 4.5 && <+f> <= 5", env) is True
    assert ev("<+n> == <+b>", {"n": 1, "b": True}) is False


def test_numbers_from_other_libraries() -> None:
    from fractions import Fraction

    np = pytest.importorskip("numpy")
    env = {"i": np.int64(3), "x": np.float64(2.5), "q": Fraction(1, 2)}
    assert ev("<+i> > 2", env) is True
    assert ev("<+i> == 3", env) is True
    assert ev("<+x> < 3", env) is True
    assert ev("<+q> == 0.5", env) is True


# --------------------------------------------------------------------------- whitespace, references


@pytest.mark.parametrize(
    "text",
    [
        '<+a>=="x"&&<+b>>2',
        '  <+a> == "x"   &&   <+b> > 2  ',
        '\t<+a>\n==\n"x"\r\n&&\t<+b>\t>\t2\n',
        '( <+a> == "x" ) && ( <+b> > 2 )',
        '(<+a>=="x")&&(<+b>>2)',
    ],
)
def test_whitespace_is_free(text: str) -> None:
    expr = parse_expression(text)
    assert expr.evaluate({"a": "x", "b": 3}) is True
    assert expr.evaluate({"a": "x", "b": 2}) is False
    assert expr.references() == ("a", "b")
    assert str(expr) == text


def test_references_in_order_and_unique() -> None:
    expr = parse_expression(
        "<+phase.build.activity.ci.outputs.status> == 'ok' && (<+releaseInput.env> == 'x'"
        " || <+phase.build.activity.ci.outputs.status> != <+releaseInput.env>) && <+z-1_a.b2>"
    )
    assert expr.references() == (
        "phase.build.activity.ci.outputs.status",
        "releaseInput.env",
        "z-1_a.b2",
    )
    assert parse_expression("1 == 1").references() == ()
    assert parse_expression("<+b> && <+a> && <+b>").references() == ("b", "a")


def test_reference_only_expression() -> None:
    expr = parse_expression("  <+releaseInput.services>  ")
    assert expr.references() == ("releaseInput.services",)
    assert expr.evaluate({"releaseInput.services": ("a",)}) == ("a",)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("<+releaseInput.services>", "releaseInput.services"),
        ("  <+releaseInput.services>\n", "releaseInput.services"),
        ("<+a>", "a"),
        ("<+a-b.c_d.0>", "a-b.c_d.0"),
        ("<+a> == 1", None),
        ("<+a><+b>", None),
        ("<+a> && <+b>", None),
        ("(<+a>)", None),
        ("<+>", None),
        ("<+a..b>", None),
        ("<+.a>", None),
        ("<+a.>", None),
        ("<+a[0]>", None),
        ("<+ a>", None),
        ("<+a", None),
        ("a.b", None),
        ('"<+a>"', None),
        ("", None),
    ],
)
def test_is_reference_only(text: str, path: str | None) -> None:
    assert is_reference_only(text) == path


def test_is_reference_only_with_a_non_string() -> None:
    assert is_reference_only(["<+a>"]) is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------- resolvers


def test_mapping_and_callable_resolvers() -> None:
    expr = parse_expression("<+a.b> == 'x' && <+c> > 1")
    values: dict[str, object] = {"a.b": "x", "c": 2}

    class Resolver:
        def __call__(self, path: str) -> object:
            return values[path]

    class Lookup:
        def get(self, path: str) -> object:
            return values[path]

    resolvers: list[Any] = [
        values,
        UserDict(values),
        values.__getitem__,
        lambda path: values[path],
        Resolver(),
        Lookup().get,
    ]
    for resolve in resolvers:
        assert expr.evaluate(resolve) is True
        assert expr.evaluate_bool(resolve) is True


def test_mapping_is_read_with_getitem() -> None:
    class Defaults(dict[str, object]):
        def __missing__(self, key: str) -> object:
            return "default"

    assert parse_expression("<+anything> == 'default'").evaluate(Defaults()) is True


def test_invalid_resolver() -> None:
    with pytest.raises(TypeError, match="resolve must be a mapping or a callable, got int"):
        parse_expression("<+a>").evaluate(3)  # type: ignore[arg-type]


def test_resolver_errors_other_than_key_error_propagate() -> None:
    def resolve(path: str) -> object:
        raise RuntimeError("backend down")

    with pytest.raises(RuntimeError, match="backend down"):
        parse_expression("<+a>").evaluate(resolve)


# --------------------------------------------------------------------------- the Expression object


def test_expression_equality_hash_str_repr() -> None:
    a = parse_expression("<+a> == 1")
    b = Expression("<+a> == 1")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != parse_expression("<+a>==1")
    assert str(a) == "<+a> == 1"
    assert repr(a) == "Expression(text='<+a> == 1')"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.text = "true"  # type: ignore[misc]


def test_expression_pickles_and_copies() -> None:
    expr = parse_expression(BRIEF_CONDITION)
    env = {
        "releaseInput.environment": "production",
        "releaseInput.services_count": 1,
        "releaseInput.skip_qa": False,
    }
    for other in (pickle.loads(pickle.dumps(expr)), copy.copy(expr), copy.deepcopy(expr)):
        assert other == expr
        assert other.references() == expr.references()
        assert other.evaluate(env) is True


def test_expression_needs_a_string() -> None:
    with pytest.raises(TypeError, match="an expression must be a str, got bool"):
        parse_expression(True)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- parse errors


PARSE_ERRORS = [
    ("", 0, "empty expression"),
    ("   ", 0, "empty expression"),
    ("<+a> ==", 7, "unexpected end of expression (expected a value after '==')"),
    ("(", 1, "unexpected end of expression (expected a value after '(')"),
    ("!", 1, "unexpected end of expression (expected a value after '!')"),
    ("<+a> &&  ", 9, "unexpected end of expression (expected a value after '&&')"),
    ("(<+a> == 1", 10, "expected ')' at position 10 to close '(' at position 0"),
    ("(<+a> == 1 <+b>", 11, "expected ')' at position 11 to close '(' at position 0"),
    ("true && ((true)", 15, "expected ')' at position 15 to close '(' at position 8"),
    ("<+a> == 1)", 9, "unexpected ')' at position 9 (it has no matching '(')"),
    (
        '<+a> == "x" "y"',
        12,
        "unexpected '\"y\"' at position 12 (expected an operator such as '==', '&&' or '||')",
    ),
    (
        "true true",
        5,
        "unexpected 'true' at position 5 (expected an operator such as '==', '&&' or '||')",
    ),
    ("&& <+a>", 0, "expected a value at position 0, found '&&'"),
    ("<+a> && || <+b>", 8, "expected a value at position 8, found '||'"),
    ("()", 1, "expected a value at position 1, found ')'"),
    ("<+a> == == 1", 8, "expected a value at position 8, found '=='"),
    (
        "<+a> < 2 < 3",
        9,
        "comparisons cannot be chained: '<' at position 9 follows '<' "
        "(combine two comparisons with '&&')",
    ),
    (
        "1 == 1 != true",
        7,
        "comparisons cannot be chained: '!=' at position 7 follows '==' "
        "(combine two comparisons with '&&')",
    ),
    (
        "<+a> == !<+b>",
        8,
        "unexpected '!' at position 8 (put a negated operand of a comparison in parentheses: "
        "'(!...)')",
    ),
    (
        '<+releaseInput.env> = "prod"',
        20,
        "unknown operator '=' at position 20 (did you mean '=='?)",
    ),
    ("<+a> === 1", 5, "unknown operator '===' at position 5 (did you mean '=='?)"),
    ("<+a> !== 1", 5, "unknown operator '!==' at position 5 (did you mean '!='?)"),
    ("<+a> => 1", 5, "unknown operator '=>' at position 5 (did you mean '>='?)"),
    ("<+a> =< 1", 5, "unknown operator '=<' at position 5 (did you mean '<='?)"),
    ("<+a> <> 1", 5, "unknown operator '<>' at position 5 (did you mean '!='?)"),
    ("<+a> & <+b>", 5, "unknown operator '&' at position 5 (did you mean '&&'?)"),
    ("<+a> | <+b>", 5, "unknown operator '|' at position 5 (did you mean '||'?)"),
    ("1 + 1", 2, "unknown operator '+' at position 2 (arithmetic is not supported)"),
    ("<+a> * 2", 5, "unknown operator '*' at position 5 (arithmetic is not supported)"),
    ("- 3", 0, "unknown operator '-' at position 0 (arithmetic is not supported)"),
    ("<+a> and <+b>", 5, "'and' is not an operator, use '&&'"),
    ("<+a> OR <+b>", 5, "'OR' is not an operator, use '||'"),
    ("not <+a>", 0, "'not' is not an operator, use '!'"),
    ('"abc', 0, "unterminated string at position 0"),
    ("<+a> == 'abc", 8, "unterminated string at position 8"),
    ('"abc\\"', 0, "unterminated string at position 0"),
    ('"abc\\', 0, "unterminated string at position 0"),
    ("'a\\q'", 2, "unknown escape '\\q' at position 2 (only \\\", \\' and \\\\ are allowed)"),
    ('"C:\\temp"', 3, "unknown escape '\\t' at position 3 (only \\\", \\' and \\\\ are allowed)"),
    ("<+>", 0, "empty reference at position 0"),
    ("<+a..b>", 4, "empty name in reference at position 4 (names are separated by one '.')"),
    ("<+.a>", 2, "empty name in reference at position 2 (names are separated by one '.')"),
    ("<+a.>", 4, "empty name in reference at position 4 (names are separated by one '.')"),
    (
        "<+a[0]>",
        3,
        "invalid character '[' in reference at position 3 (indexing with [...] is not supported)",
    ),
    (
        "<+a b>",
        3,
        "invalid character ' ' in reference at position 3 "
        "(names may contain letters, digits, '_' and '-', separated by '.')",
    ),
    (
        "<+process.<+x>.output>",
        10,
        "invalid character '<' in reference at position 10 "
        "(names may contain letters, digits, '_' and '-', separated by '.')",
    ),
    ("<+a", 0, "unterminated reference at position 0 (expected '>')"),
    ("1 < <+a.b", 4, "unterminated reference at position 4 (expected '>')"),
    ("3abc", 0, "invalid number '3abc' at position 0"),
    ("1.2.3", 0, "invalid number '1.2.3' at position 0"),
    ("<+a> > 1e", 7, "invalid number '1e' at position 7"),
    (
        "releaseInput.env == 'x'",
        0,
        "unexpected name 'releaseInput.env' at position 0 (write references as "
        "<+releaseInput.env>)",
    ),
    ("None", 0, "unexpected name 'None' at position 0 (did you mean 'null'?)"),
    ("<+x> ; rm -rf", 5, "unexpected character ';' at position 5"),
    ("<+a> == $HOME", 8, "unexpected character '$' at position 8"),
    ("<+a> == é", 8, "unexpected character 'é' at position 8"),
]


@pytest.mark.parametrize(("text", "position", "message"), PARSE_ERRORS)
def test_parse_errors(text: str, position: int, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    err = info.value
    assert err.position == position
    assert err.message == message
    assert err.text == text
    assert 0 <= err.position <= len(text)


def test_parse_error_is_a_value_error_and_a_phasesim_error() -> None:
    with pytest.raises(ValueError, match=r"unknown operator '=' at position 5"):
        parse_expression("<+a> = 1")
    assert issubclass(ExpressionError, PhasesimError)
    assert issubclass(EvaluationError, PhasesimError)
    assert issubclass(EvaluationError, ValueError)
    assert not issubclass(EvaluationError, ExpressionError)


def test_parse_error_str_draws_a_caret() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression('<+releaseInput.env> = "prod"')
    assert str(info.value) == (
        "unknown operator '=' at position 20 (did you mean '=='?)\n"
        '  <+releaseInput.env> = "prod"\n'
        "  " + " " * 20 + "^"
    )
    with pytest.raises(ExpressionError) as info:
        parse_expression("<+a> ==")
    assert str(info.value).splitlines()[1:] == ["  <+a> ==", "         ^"]
    # tabs and newlines are shown as spaces so the caret stays under its character
    with pytest.raises(ExpressionError) as info:
        parse_expression("true &&\n\t;")
    assert info.value.position == 9
    assert str(info.value).splitlines()[1:] == ["  true &&  ;", "           ^"]


def test_earliest_error_wins() -> None:
    # a syntax error before a lexical one is reported first
    with pytest.raises(ExpressionError) as info:
        parse_expression("<+a> == == 1 ; rm")
    assert info.value.position == 8
    with pytest.raises(ExpressionError) as info:
        parse_expression("<+a> == 1 ; ==")
    assert info.value.position == 10


def test_nesting_limit() -> None:
    depth = expressions.MAX_NESTING
    assert ev("(" * depth + "true" + ")" * depth) is True
    assert ev("!" * depth + "true") is (depth % 2 == 0)
    with pytest.raises(ExpressionError) as info:
        parse_expression("(" * (depth + 1) + "true" + ")" * (depth + 1))
    assert info.value.position == depth
    assert info.value.message == (
        f"expression nested too deeply at position {depth} (at most {depth} levels of '(' and '!')"
    )
    with pytest.raises(ExpressionError) as info:
        parse_expression("!(" * 60 + "true" + ")" * 60)
    assert info.value.position == 100


def test_parse_errors_pickle() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("<+a> = 1")
    other = pickle.loads(pickle.dumps(info.value))
    assert (other.message, other.text, other.position) == (
        "unknown operator '=' at position 5 (did you mean '=='?)",
        "<+a> = 1",
        5,
    )
    assert str(other) == str(info.value)


# --------------------------------------------------------------------------- evaluation errors


EVALUATION_ERRORS: list[tuple[str, dict[str, object], int, str]] = [
    ("<+releaseInput.x>", {}, 0, "unknown reference <+releaseInput.x>"),
    ("true && <+a.b>", {}, 8, "unknown reference <+a.b>"),
    (
        "<+n> < 'a'",
        {"n": 3},
        5,
        "'<' at position 5 needs two numbers or two strings, got int 3 and str 'a'",
    ),
    (
        "'3' >= 2",
        {},
        4,
        "'>=' at position 4 needs two numbers or two strings, got str '3' and int 2",
    ),
    (
        "true > false",
        {},
        5,
        "'>' at position 5 needs two numbers or two strings, got bool true and bool false",
    ),
    (
        "1 <= true",
        {},
        2,
        "'<=' at position 2 needs two numbers or two strings, got int 1 and bool true",
    ),
    ("null < 1", {}, 5, "'<' at position 5 needs two numbers or two strings, got null and int 1"),
    (
        "<+l> > 1",
        {"l": [1, 2]},
        5,
        "'>' at position 5 needs two numbers or two strings, got list [1, 2] and int 1",
    ),
    (
        "<+a> && true",
        {"a": "yes"},
        0,
        "'&&' needs true or false on both sides, got str 'yes' at position 0",
    ),
    (
        "true && <+a>",
        {"a": 1},
        8,
        "'&&' needs true or false on both sides, got int 1 at position 8",
    ),
    (
        "true && true && (<+a>)",
        {"a": None},
        17,
        "'&&' needs true or false on both sides, got null at position 17",
    ),
    (
        "<+a> || true",
        {"a": 0},
        0,
        "'||' needs true or false on both sides, got int 0 at position 0",
    ),
    (
        "false || <+a>",
        {"a": "no"},
        9,
        "'||' needs true or false on both sides, got str 'no' at position 9",
    ),
    (
        "false || false || 'x'",
        {},
        18,
        "'||' needs true or false on both sides, got str 'x' at position 18",
    ),
    ("!<+a>", {"a": 1}, 0, "'!' at position 0 needs true or false, got int 1"),
    ("true && !!'x'", {}, 9, "'!' at position 9 needs true or false, got str 'x'"),
    (
        "<+s> > 1",
        {"s": "x" * 100},
        5,
        "'>' at position 5 needs two numbers or two strings, got str '"
        + "x" * 36
        + "... and int 1",
    ),
]


@pytest.mark.parametrize(("text", "env", "position", "message"), EVALUATION_ERRORS)
def test_evaluation_errors(text: str, env: dict[str, object], position: int, message: str) -> None:
    expr = parse_expression(text)
    with pytest.raises(EvaluationError) as info:
        expr.evaluate(env)
    assert info.value.message == message
    assert info.value.position == position
    assert info.value.text == text


def test_unknown_reference_from_a_callable() -> None:
    def resolve(path: str) -> object:
        raise KeyError(path)

    with pytest.raises(EvaluationError, match=r"^unknown reference <\+releaseInput\.x>\n"):
        parse_expression("<+releaseInput.x> == 1").evaluate(resolve)


def test_evaluate_bool_needs_a_bool() -> None:
    expr = parse_expression("<+releaseInput.environment>")
    with pytest.raises(EvaluationError) as info:
        expr.evaluate_bool({"releaseInput.environment": "production"})
    assert info.value.message == "a condition must give true or false, got str 'production'"
    assert info.value.position == 0
    assert expr.evaluate({"releaseInput.environment": "production"}) == "production"
    assert parse_expression("<+f>").evaluate_bool({"f": False}) is False
    with pytest.raises(EvaluationError, match="got null"):
        parse_expression("null").evaluate_bool({})
    with pytest.raises(EvaluationError, match="got int 1"):
        parse_expression("<+f>").evaluate_bool({"f": 1})


def test_evaluation_error_str_and_pickle() -> None:
    with pytest.raises(EvaluationError) as info:
        parse_expression("<+a> && <+b>").evaluate({"a": True, "b": "x"})
    assert str(info.value) == (
        "'&&' needs true or false on both sides, got str 'x' at position 8\n"
        "  <+a> && <+b>\n"
        "          ^"
    )
    other = pickle.loads(pickle.dumps(info.value))
    assert str(other) == str(info.value)
    assert other.position == 8


# --------------------------------------------------------------------------- security


HOSTILE = [
    "__import__('os').system('x')",
    "__import__('os').system('touch {marker}')",
    "1 + 1",
    "a.b",
    "<+x> ; rm -rf",
    "<+x> ; rm -rf /",
    "open('{marker}', 'w')",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 1",
    "[x for x in ()]",
    "<+a> == 1 or __import__('os')",
    "exec('x')",
    "eval('1')",
    "`id`",
    "$(touch {marker})",
    "{{'a': 1}}",
    "<+a>.__class__",
    "<+__import__('os')>",
    "'x' * 10**9",
    "f'{{1}}'",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_text_is_rejected_and_nothing_runs(
    template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ran"
    text = template.format(marker=marker)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the expression parser must not run code")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    with pytest.raises(ExpressionError):
        parse_expression(text)
    monkeypatch.undo()
    assert not marker.exists()


def test_valid_expressions_run_no_code(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the expression parser must not run code")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    env = {
        "releaseInput.environment": "production",
        "releaseInput.services_count": 4,
        "releaseInput.skip_qa": True,
    }
    assert parse_expression(BRIEF_CONDITION).evaluate(env) is True


def test_module_source_names_no_code_evaluator() -> None:
    source = Path(expressions.__file__).read_text(encoding="utf-8")
    names = {
        token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.NAME
    }
    assert names.isdisjoint({"eval", "exec", "compile", "literal_eval", "__import__", "ast"})


# --------------------------------------------------------------------------- properties

BOOL_NAMES = ["flag.a", "flag.b", "flag.c"]
NUM_NAMES = ["num.x", "num.y"]
STR_NAMES = ["text.s"]
CMP_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}
# precedence levels: 1 ||, 2 &&, 3 !, 4 comparison, 5 primary
PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "beq": 4, "lit": 5, "ref": 5}

numbers_ = st.one_of(
    st.integers(-20, 20),
    st.integers(-20, 20).map(float),
    st.sampled_from([0.5, -1.25, 2.75, 1e3]),
)
texts = st.text(alphabet="ab \"'\\<+>&|!=()", max_size=6)
num_operand = st.one_of(
    st.tuples(st.just("num"), numbers_), st.tuples(st.just("nref"), st.sampled_from(NUM_NAMES))
)
str_operand = st.one_of(
    st.tuples(st.just("str"), texts), st.tuples(st.just("sref"), st.sampled_from(STR_NAMES))
)
leaves = st.one_of(
    st.tuples(st.just("lit"), st.booleans()),
    st.tuples(st.just("ref"), st.sampled_from(BOOL_NAMES)),
    st.tuples(st.just("cmp"), st.sampled_from(sorted(CMP_OPS)), num_operand, num_operand),
    st.tuples(st.just("cmp"), st.sampled_from(sorted(CMP_OPS)), str_operand, str_operand),
)


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.tuples(st.just("not"), children),
        st.tuples(st.just("and"), children, children),
        st.tuples(st.just("or"), children, children),
        st.tuples(st.just("beq"), st.sampled_from(["==", "!="]), children, children),
    )


trees = st.recursive(leaves, _extend, max_leaves=12)
environments = st.fixed_dictionaries(
    {
        **{name: st.booleans() for name in BOOL_NAMES},
        **{name: numbers_ for name in NUM_NAMES},
        **{name: texts for name in STR_NAMES},
    }
)


def expected_value(tree: Any, env: dict[str, Any]) -> Any:
    """Python's own evaluation of a generated tree (an independent tree walker)."""
    kind = tree[0]
    if kind == "lit":
        return tree[1]
    if kind in ("ref", "nref", "sref"):
        return env[tree[1]]
    if kind in ("num", "str"):
        return tree[1]
    if kind == "not":
        return not expected_value(tree[1], env)
    if kind == "and":
        return expected_value(tree[1], env) and expected_value(tree[2], env)
    if kind == "or":
        return expected_value(tree[1], env) or expected_value(tree[2], env)
    # "cmp" and "beq"
    return CMP_OPS[tree[1]](expected_value(tree[2], env), expected_value(tree[3], env))


def quote(value: str, mark: str) -> str:
    return mark + value.replace("\\", "\\\\").replace(mark, "\\" + mark) + mark


class Renderer:
    """Render a tree with as few parentheses as precedence allows, and random spacing."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.references: list[str] = []

    def gap(self) -> str:
        return self.data.draw(st.sampled_from(["", "", " ", "  ", "\t", "\n "]))

    def render(self, tree: Any, need: int) -> str:
        text = self.body(tree)
        level = PRECEDENCE.get(tree[0], 5)
        if level < need or self.data.draw(st.integers(0, 9)) == 0:
            return f"({self.gap()}{text}{self.gap()})"
        return text

    def body(self, tree: Any) -> str:
        kind = tree[0]
        if kind == "lit":
            return self.data.draw(
                st.sampled_from(["true", "True", "TRUE"] if tree[1] else ["false", "False"])
            )
        if kind in ("ref", "nref", "sref"):
            self.references.append(tree[1])
            return f"<+{tree[1]}>"
        if kind == "num":
            return repr(tree[1])
        if kind == "str":
            return quote(tree[1], self.data.draw(st.sampled_from(['"', "'"])))
        if kind == "not":
            return f"!{self.gap()}{self.render(tree[1], 3)}"
        if kind in ("and", "or"):
            op, level = ("&&", 2) if kind == "and" else ("||", 1)
            left = self.render(tree[1], level)
            right = self.render(tree[2], level + 1)
            return f"{left}{self.gap()}{op}{self.gap()}{right}"
        left = self.render(tree[2], 5)
        right = self.render(tree[3], 5)
        return f"{left}{self.gap()}{tree[1]}{self.gap()}{right}"


@settings(max_examples=400, deadline=None)
@given(tree=trees, env=environments, data=st.data())
def test_random_trees_agree_with_python(
    tree: Any, env: dict[str, Any], data: st.DataObject
) -> None:
    renderer = Renderer(data)
    text = renderer.gap() + renderer.render(tree, 1) + renderer.gap()
    expr = parse_expression(text)
    assert expr.evaluate(env) is expected_value(tree, env)
    assert expr.evaluate(env.__getitem__) is expected_value(tree, env)
    assert expr.references() == tuple(dict.fromkeys(renderer.references))
    assert str(expr) == text


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_expression_error(text: str) -> None:
    try:
        expr = parse_expression(text)
    except ExpressionError as err:
        assert 0 <= err.position <= len(text)
        assert err.text == text
        assert str(err).startswith(err.message)
    else:
        assert str(expr) == text


TOKENS = [
    "<+a>",
    "<+b.c>",
    "<+",
    ">",
    "<",
    "<=",
    ">=",
    "==",
    "!=",
    "=",
    "!",
    "&&",
    "||",
    "&",
    "(",
    ")",
    '"s"',
    "'t'",
    '"',
    "1",
    "-2.5",
    "true",
    "false",
    "null",
    "and",
    "x",
    ";",
    "[0]",
]


@given(st.lists(st.sampled_from(TOKENS), max_size=12), st.sampled_from(["", " "]))
def test_token_soup_parses_or_raises(tokens: list[str], sep: str) -> None:
    text = sep.join(tokens)
    try:
        expr = parse_expression(text)
    except ExpressionError as err:
        assert 0 <= err.position <= len(text)
        return
    values: dict[str, object] = {"a": True, "b.c": 3}
    try:
        expr.evaluate(values)
    except EvaluationError as err:
        assert 0 <= err.position <= len(text)
