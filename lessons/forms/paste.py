"""Flashcards pasted as plain text: Quizlet's and Anki's text exports.

One card a line, front and back split by a separator (tab by default, a comma,
a semicolon or any one character). Quizlet writes ``term<TAB>definition`` with
nothing quoted, so a plain line is split at its *first* separator and the back
keeps any later ones ("Paris, France" stays whole with a comma separator).

Anki's "Notes in Plain Text" export starts with header lines such as
``#separator:tab``, ``#html:true``, ``#tags column:3``. When a file has them it
is read the way Anki writes it: CSV-style, fields quoted with ``"`` when they
hold the separator, a quote or a line break; the columns named by ``#guid``,
``#notetype``, ``#deck`` and ``#tags column:`` headers are dropped; the first
two remaining fields are the front and the back. A line that does not give a
non-empty front and back is reported by its line number, never guessed at.
"""

import csv
import io
from dataclasses import dataclass, field

SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";"}
# Anki's names for its separators (``#separator:Comma``), plus the literal characters.
ANKI_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
ANKI_META_COLUMNS = ("guid column", "notetype column", "deck column", "tags column")
MAX_CARDS = 500


@dataclass
class PastedCard:
    line: int
    front: str
    back: str


@dataclass
class BadLine:
    line: int
    text: str
    reason: str


@dataclass
class PasteResult:
    cards: list = field(default_factory=list)
    bad_lines: list = field(default_factory=list)
    separator: str = "\t"
    anki: bool = False


def separator_name(separator):
    """How to say a separator to a person."""
    names = {"\t": "tab", ",": "comma", ";": "semicolon", " ": "space", "|": "pipe (|)", ":": "colon"}
    return names.get(separator, f"“{separator}”")


def _anki_headers(lines):
    """Anki's leading ``#key:value`` lines as a dict, and how many lines they take."""
    headers = {}
    count = 0
    for line in lines:
        if not line.startswith("#") or ":" not in line:
            break
        key, _, value = line[1:].partition(":")
        headers[key.strip().lower()] = value.strip()
        count += 1
    return headers, count


def _anki_separator(value, default):
    if not value:
        return default
    if value.lower() in ANKI_SEPARATORS:
        return ANKI_SEPARATORS[value.lower()]
    if len(value) == 1:
        return value
    return None


def parse_pasted_cards(text, separator="\t"):
    """Split pasted text into cards and lines that do not split; never raises on content."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    headers, header_count = _anki_headers(lines)
    result = PasteResult(separator=separator, anki=bool(headers))
    if "separator" in headers:
        chosen = _anki_separator(headers["separator"], separator)
        if chosen is None:
            result.bad_lines.append(
                BadLine(1, f"#separator:{headers['separator']}", "an Anki separator this site does not know")
            )
            return result
        result.separator = chosen
    if result.anki:
        _parse_anki(lines, header_count, headers, result)
    else:
        _parse_plain(lines, result)
    if len(result.cards) > MAX_CARDS:
        extra = result.cards[MAX_CARDS:]
        result.cards = result.cards[:MAX_CARDS]
        result.bad_lines.append(
            BadLine(extra[0].line, "", f"more than {MAX_CARDS} cards at once; paste the rest ({len(extra)}) separately")
        )
    return result


def _card_or_bad(result, line_number, raw, front, back):
    front, back = front.strip(), back.strip()
    if not front or not back:
        side = "front" if not front else "back"
        result.bad_lines.append(BadLine(line_number, raw, f"the {side} is empty"))
    else:
        result.cards.append(PastedCard(line_number, front, back))


def _parse_plain(lines, result):
    sep = result.separator
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if sep not in raw:
            result.bad_lines.append(BadLine(number, raw, f"no {separator_name(sep)} between front and back"))
            continue
        front, _, back = raw.partition(sep)
        _card_or_bad(result, number, raw, front, back)


def _parse_anki(lines, header_count, headers, result):
    dropped = set()
    for key in ANKI_META_COLUMNS:
        if headers.get(key, "").isdigit():
            dropped.add(int(headers[key]) - 1)
    body = "\n".join(lines[header_count:])
    reader = csv.reader(io.StringIO(body), delimiter=result.separator, quotechar='"', doublequote=True, strict=False)
    previous_end = 0
    try:
        for row in reader:
            # csv counts physical lines: a quoted field may span several.
            number = header_count + previous_end + 1
            previous_end = reader.line_num
            raw = result.separator.join(row)
            fields = [value for index, value in enumerate(row) if index not in dropped]
            if not any(value.strip() for value in fields):
                continue
            if len(fields) < 2:
                result.bad_lines.append(
                    BadLine(number, raw, f"no {separator_name(result.separator)} between front and back")
                )
                continue
            extra = [value for value in fields[2:] if value.strip()]
            if extra:
                result.bad_lines.append(
                    BadLine(number, raw, f"{2 + len(extra)} fields; a card here has only a front and a back")
                )
                continue
            _card_or_bad(result, number, raw, fields[0], fields[1])
    except csv.Error as error:
        result.bad_lines.append(BadLine(header_count + reader.line_num, "", f"unreadable quoting ({error})"))
