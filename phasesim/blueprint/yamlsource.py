"""Safe YAML loading that remembers where every value came from.

PyYAML's safe loader composes a node tree whose nodes carry ``start_mark`` positions. We
build plain Python values from that tree ourselves, keeping each mapping's and list's
positions beside them, so that every validation problem can name ``file:line:column``.
No YAML tags that construct objects are honoured: only the safe scalar types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from phasesim.errors import Problem

__all__ = ["MAX_YAML_DEPTH", "MAX_YAML_NODES", "Located", "LocatedDict", "LocatedList",
           "YamlSource", "parse_yaml"]

#: Most values (mappings, lists and scalars) a document may expand to once its aliases
#: (``*name``) are followed: a "billion laughs" document is refused, not expanded.
MAX_YAML_NODES = 100_000
#: Deepest nesting of mappings and lists a document may have.
MAX_YAML_DEPTH = 100


@dataclass(frozen=True)
class Located:
    """A 1-based ``line`` and ``column`` in a file."""

    line: int
    column: int


class LocatedDict(dict[str, Any]):
    """A mapping from YAML that knows where it, its keys and its values stand."""

    where: Located
    key_where: dict[str, Located]
    value_where: dict[str, Located]
    #: the text of values YAML read as booleans (``on``, ``yes``, ...), for messages
    bool_text: dict[str, str]


class LocatedList(list[Any]):
    """A list from YAML that knows where it and each item stand."""

    where: Located
    item_where: list[Located]


class _Loader(yaml.SafeLoader):
    """The safe loader without YAML 1.1's sexagesimal numbers (``12:00`` stays text).

    It remembers where the first alias (``*name``) stands, for the expansion limit, and
    refuses nesting deeper than :data:`MAX_YAML_DEPTH` (instead of a ``RecursionError``).
    """

    first_alias: yaml.Mark | None = None
    depth: int = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.first_alias is None and self.check_event(yaml.AliasEvent):
            self.first_alias = self.peek_event().start_mark
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise _TooDeep(None, None, f"values nest more than {MAX_YAML_DEPTH} levels "
                               "deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _TooDeep(yaml.MarkedYAMLError):
    """The document nests deeper than :data:`MAX_YAML_DEPTH`."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if ":" not in regexp.pattern
          or tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_INT = re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
)
_FLOAT = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
for _first in "-+0123456789":
    _Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, [_first])
for _first in "-+0123456789.":
    _Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, [_first])


def _where(mark: yaml.Mark) -> Located:
    return Located(mark.line + 1, mark.column + 1)


@dataclass
class YamlSource:
    """Text of one YAML document and the name used in messages."""

    text: str
    name: str
    _budget: int = field(default=MAX_YAML_NODES, init=False, repr=False)

    def parse(self) -> tuple[Any, list[Problem]]:
        """Return the document as located Python values, and any problems found."""
        problems: list[Problem] = []
        try:
            loader = _Loader(self.text)
        except yaml.reader.ReaderError as exc:
            return None, [self._reader_problem(exc)]
        try:
            node = loader.get_single_node()
        except yaml.reader.ReaderError as exc:
            return None, [self._reader_problem(exc)]
        except _TooDeep as exc:
            mark = exc.problem_mark
            return None, [Problem(
                str(exc.problem), file=self.name, line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
                hint="flatten the structure; a blueprint needs only a few levels")]
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = (exc.problem or exc.context or "invalid YAML").strip()
            if exc.context and exc.problem:
                message = f"{exc.context.strip()}: {exc.problem.strip()}"
            problems.append(
                Problem(
                    f"YAML syntax error: {message}",
                    file=self.name,
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                    hint="check the indentation and quoting around this line",
                )
            )
            return None, problems
        except yaml.YAMLError as exc:
            problems.append(Problem(f"YAML syntax error: {exc}", file=self.name))
            return None, problems
        finally:
            loader.dispose()
        if node is None:
            return None, problems
        self._budget = MAX_YAML_NODES
        try:
            return self._build(node, loader, problems), problems
        except _TooLarge:
            mark = loader.first_alias or node.start_mark
            return None, [Problem(
                f"the document expands to more than {MAX_YAML_NODES:,} values once its "
                "aliases (*name) are followed", file=self.name, line=mark.line + 1,
                column=mark.column + 1,
                hint="this is the first alias; write the repeated parts out or use fewer "
                     "aliases")]

    def _reader_problem(self, exc: yaml.reader.ReaderError) -> Problem:
        """A character YAML does not allow (a NUL byte, say), at its line and column."""
        before = self.text[:exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return Problem(f"character {char!r} (U+{ord(char):04X}) is not allowed in YAML",
                       file=self.name, line=line, column=column,
                       hint="remove it; is this a binary file or saved in a wrong encoding?")

    def _build(self, node: yaml.Node, loader: _Loader, problems: list[Problem]) -> Any:
        self._budget -= 1
        if self._budget < 0:
            raise _TooLarge
        if node.tag not in _SAFE_TAGS:
            problems.append(self._problem(node, f"YAML tag {node.tag!r} is not allowed",
                                          "blueprints hold plain values only"))
            return None
        if isinstance(node, yaml.MappingNode):
            out = LocatedDict()
            out.where = _where(node.start_mark)
            out.key_where, out.value_where, out.bool_text = {}, {}, {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    problems.append(self._problem(key_node, "YAML merge keys (<<) are not "
                                                  "supported", "write the keys out"))
                    continue
                key = self._build(key_node, loader, problems)
                if isinstance(key, bool):
                    key = key_node.value  # a team called "on" stays "on" (YAML 1.2)
                elif not isinstance(key, str):
                    key = str(key)
                if key in out:
                    problems.append(self._problem(
                        key_node, f"duplicate key {key!r}",
                        f"the first is at line {out.key_where[key].line}; keep one"))
                    continue
                out[key] = self._build(value_node, loader, problems)
                if isinstance(out[key], bool):
                    out.bool_text[key] = str(value_node.value)
                out.key_where[key] = _where(key_node.start_mark)
                out.value_where[key] = _where(value_node.start_mark)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = LocatedList()
            items.where = _where(node.start_mark)
            items.item_where = []
            for item in node.value:
                items.append(self._build(item, loader, problems))
                items.item_where.append(_where(item.start_mark))
            return items
        try:
            return loader.construct_object(node, deep=True)
        except (ValueError, OverflowError):
            if node.tag == "tag:yaml.org,2002:timestamp":
                # looks like a date but is none (2026-02-30): the text, for the caller
                # to report where a date is expected
                return node.value
            problems.append(self._problem(node, f"bad value {node.value!r}", None))
            return None
        except yaml.YAMLError as exc:
            problems.append(self._problem(node, f"bad value {node.value!r}: {exc}", None))
            return None

    def _problem(self, node: yaml.Node, message: str, hint: str | None) -> Problem:
        where = _where(node.start_mark)
        return Problem(message, file=self.name, line=where.line, column=where.column, hint=hint)


class _TooLarge(Exception):
    """The alias expansion went past :data:`MAX_YAML_NODES`."""


_SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)


def parse_yaml(text: str, name: str = "<string>") -> tuple[Any, list[Problem]]:
    """Parse YAML text into located values; return ``(data, problems)``."""
    return YamlSource(text, name).parse()
