"""YAML text → plain data that remembers where each key stood (for error lines)."""

from __future__ import annotations

from typing import Any

import yaml


class LineDict(dict):
    """A mapping from YAML that knows its own line and each key's line (1-based)."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


MAX_DEPTH = 64          # mappings and lists inside one another (the shipped procedure needs 11)
MAX_NODES = 200_000     # values in a document, counting each alias as what it stands for


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses what would exhaust the parser or what is built from it: nesting
    deeper than MAX_DEPTH (PyYAML composes recursively: a 500), more than MAX_NODES values once
    aliases are expanded (a "billion laughs" document is small until it is encoded), and NUL
    characters (written ``\\0`` or ``\\x00`` in a quoted string; no database text holds them)."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0
        self._weights: dict[int, tuple[int, int]] = {}  # id(node) -> (height, values), for aliases

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if id(node) not in self._weights:  # `&a [*a]`: a value that contains itself never ends
                raise YamlSyntaxError(line, "an alias refers to the value it is inside",
                                      "alias อ้างถึงค่าที่ตัวมันเองอยู่ข้างใน")
            height, count = self._weights[id(node)]
            self._count(count, line)
            if self._depth + height > MAX_DEPTH:
                raise _too_deep(line)
            return node
        if isinstance(event, yaml.ScalarEvent) and "\x00" in event.value:
            raise YamlSyntaxError(line, "a value contains a NUL character (\\x00), which is not text",
                                  "ค่ามีอักขระ NUL (\\x00) ซึ่งไม่ใช่ข้อความ")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _too_deep(line)
        before = self._nodes
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._count(1, line)
        if isinstance(node, yaml.ScalarNode):
            height = 1
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
            height = 1 + max((self._weights.get(id(c), (1, 1))[0] for c in children), default=0)
        self._weights[id(node)] = (height, self._nodes - before)
        return node

    def _count(self, n: int, line: int) -> None:
        self._nodes += n
        if self._nodes > MAX_NODES:
            raise YamlSyntaxError(line, f"more than {MAX_NODES} values (counting what each alias repeats)",
                                  f"มีค่ามากกว่า {MAX_NODES:,} ค่า (นับค่าที่ alias แต่ละตัวอ้างซ้ำด้วย)")


def _too_deep(line: int) -> "YamlSyntaxError":
    return YamlSyntaxError(line, f"nested more than {MAX_DEPTH} levels deep",
                           f"ซ้อนกันลึกเกิน {MAX_DEPTH} ชั้น")


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be text, not {type(key).__name__}", key_node.start_mark
            )
        key = str(key) if not isinstance(key, str) else key
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp_as_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    # Dates stay text: the domain parses them (BE years, Thai digits) itself.
    return loader.construct_scalar(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


class YamlSyntaxError(ValueError):
    def __init__(self, line: int | None, problem: str, problem_th: str | None = None) -> None:
        super().__init__(problem)
        self.line, self.problem, self.problem_th = line, problem, problem_th


def parse(text: str) -> Any:
    """Parse YAML text; raise ``YamlSyntaxError`` with a line number on bad syntax."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except YamlSyntaxError:
        raise
    except RecursionError:  # deeper than the interpreter allows, before MAX_DEPTH (a tiny stack)
        raise YamlSyntaxError(None, f"nested more than {MAX_DEPTH} levels deep",
                              f"ซ้อนกันลึกเกิน {MAX_DEPTH} ชั้น") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlSyntaxError(line, f"{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, str(exc)) from None


def tracked(data: Any) -> Any:
    """Plain JSON data as the line-tracking types ``parse`` returns (no lines: stored content has none)."""
    if isinstance(data, dict):
        out = LineDict((str(k), tracked(v)) for k, v in data.items())
        out.key_lines = {}
        return out
    if isinstance(data, list):
        items = LineList(tracked(v) for v in data)
        items.item_lines = []
        return items
    return data


def plain(data: Any) -> Any:
    """Strip line bookkeeping: plain dicts and lists (for hashing and storage)."""
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data
