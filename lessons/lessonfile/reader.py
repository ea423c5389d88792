"""A YAML reader for lesson files that refuses what a lesson file never needs.

Plain ``yaml.safe_load`` expands aliases (a 3.6 KB "billion laughs" file grows
past 2 GB), recurses once per nesting level (20,000 levels raise
RecursionError), accepts lists and mappings as keys (``? [a, b]`` then fails
with a TypeError) and turns a 5,000-digit number into a ValueError. This
reader builds the data from the parser's events itself, without recursion,
and stops at the first of these with a ``LessonFileError`` naming the file and
the key:

- anchors and aliases (``&name``, ``*name``) and explicit tags (``!!python/...``);
- nesting deeper than ``MAX_DEPTH``;
- keys that are not plain scalars, and a key given twice;
- NUL characters;
- more than one YAML document.

Integers longer than ``MAX_INT_DIGITS`` stay text, so the field that wanted a
number says so. Dates stay text too (a question may well be "1969-07-20").
Events come from libyaml when it is installed (fast), from PyYAML otherwise;
``locations`` records where each mapping and scalar is, for ``--write-ids``.
"""

import yaml

from .errors import LessonFileError

MAX_DEPTH = 12  # a lesson file needs 6: top, exercises, ordering, one exercise, items, one stage
MAX_INT_DIGITS = 18

_resolver = yaml.resolver.Resolver()
_constructor = yaml.constructor.SafeConstructor()
_SCALARS = {
    "tag:yaml.org,2002:null": _constructor.construct_yaml_null,
    "tag:yaml.org,2002:bool": _constructor.construct_yaml_bool,
    "tag:yaml.org,2002:int": _constructor.construct_yaml_int,
    "tag:yaml.org,2002:float": _constructor.construct_yaml_float,
}
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _path(parts):
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "the file"


class _Frame:
    __slots__ = ("container", "key", "mark", "pending_key")

    def __init__(self, container, mark):
        self.container = container
        self.mark = mark
        self.key = None
        self.pending_key = False  # a mapping alternates key, value


def load(text, source, *, loader=FAST_LOADER, locations=None):
    """The one YAML document of ``text`` as plain dicts, lists and scalars; raises LessonFileError."""
    stack = []
    parts = []
    result = None
    documents = 0

    def fail(key, expected):
        raise LessonFileError(source, key, expected)

    def here():
        return _path(parts)

    def place(value, start, end):
        """Put a finished node into its parent; return False if it was a mapping key."""
        nonlocal result
        if not stack:
            result = value
            return
        frame = stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
            parts[-1] += 1
            return
        if frame.pending_key is False:
            if value in frame.container:
                fail(_path([*parts, str(value)]), f"each key once; {value!r} is repeated")
            frame.key = value
            frame.pending_key = True
            parts.append(str(value))
            return
        frame.container[frame.key] = value
        frame.pending_key = False
        parts.pop()

    loader_instance = loader(text)
    try:
        while loader_instance.check_event():
            event = loader_instance.get_event()
            kind = type(event)
            if kind is yaml.AliasEvent:
                fail(here(), "no YAML aliases (*name): a lesson file has no use for them; write the text out")
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                fail(here(), "no YAML anchors (&name): a lesson file has no use for them; write the text out")
            tag = getattr(event, "tag", None)
            if tag not in (None, "!") and kind is not yaml.DocumentStartEvent:
                fail(here(), f"no YAML tags ({tag}): plain text, numbers, lists and mappings only")
            if kind is yaml.ScalarEvent:
                value = event.value
                if "\x00" in value:
                    fail(here(), "text without NUL characters")
                if event.implicit[0]:
                    resolved = _resolver.resolve(yaml.ScalarNode, value, (True, False))
                    build = _SCALARS.get(resolved)
                    if build and not (resolved.endswith(":int") and len(value) > MAX_INT_DIGITS):
                        value = build(yaml.ScalarNode(resolved, value))
                if locations is not None and stack and (stack[-1].pending_key or isinstance(stack[-1].container, list)):
                    locations[here()] = ("scalar", event.start_mark, event.end_mark, event.style)
                place(value, event.start_mark, event.end_mark)
            elif kind in (yaml.MappingStartEvent, yaml.SequenceStartEvent):
                if len(stack) >= MAX_DEPTH:
                    fail(here(), f"at most {MAX_DEPTH} levels of nesting")
                if stack and isinstance(stack[-1].container, dict) and not stack[-1].pending_key:
                    fail(here(), "a plain key (text), not a list or mapping")
                if locations is not None and kind is yaml.MappingStartEvent:
                    locations[here()] = ("mapping", event.start_mark, event.end_mark, event.flow_style)
                frame = _Frame({} if kind is yaml.MappingStartEvent else [], event.start_mark)
                stack.append(frame)
                if kind is yaml.SequenceStartEvent:
                    parts.append(0)
            elif kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
                frame = stack.pop()
                if kind is yaml.SequenceEndEvent:
                    parts.pop()
                place(frame.container, frame.mark, event.end_mark)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    fail(f"line {event.start_mark.line + 1}", "one YAML document (one lesson per file)")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "the file"
        problem = getattr(error, "problem", None) or str(error)
        if "nesting depth" in problem:  # libyaml's own limit (deeper than ours) can fire first while scanning
            raise LessonFileError(source, where, f"at most {MAX_DEPTH} levels of nesting") from None
        raise LessonFileError(source, where, f"valid YAML ({problem})") from None
    finally:
        dispose = getattr(loader_instance, "dispose", None)
        if dispose:
            dispose()
    return result
