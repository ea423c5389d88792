"""The pasted-flashcards parser on its own: Quizlet and Anki plain-text exports."""

from lessons.forms.paste import MAX_CARDS, parse_pasted_cards


def cards(result):
    return [(card.front, card.back) for card in result.cards]


def bad(result):
    return [(line.line, line.reason) for line in result.bad_lines]


def test_quizlet_tab_export_splits_at_the_first_tab():
    result = parse_pasted_cards("term\tdefinition\r\nsecond\tback\twith tab\n\n")
    assert cards(result) == [("term", "definition"), ("second", "back\twith tab")]
    assert bad(result) == []


def test_lines_that_do_not_split_are_reported_by_number():
    result = parse_pasted_cards("ok\tfine\nno tab\n\tonly a back\nfront only\t  \n\t\n")
    assert cards(result) == [("ok", "fine")]
    assert bad(result) == [
        (2, "no tab between front and back"),
        (3, "the front is empty"),
        (4, "the back is empty"),
    ]


def test_chosen_separator():
    assert cards(parse_pasted_cards("a;b\nc;d;e", ";")) == [("a", "b"), ("c", "d;e")]
    assert cards(parse_pasted_cards("cat - a pet", " - ")) == [("cat", "a pet")]


def test_anki_header_sets_the_separator_and_quotes_are_read():
    text = '#separator:Comma\n#html:true\n"Hello, world","a ""quoted"" back"\n"multi\nline",back\n'
    result = parse_pasted_cards(text, "\t")
    assert result.anki and result.separator == ","
    assert cards(result) == [("Hello, world", 'a "quoted" back'), ("multi\nline", "back")]


def test_anki_meta_columns_are_dropped_and_extra_fields_reported():
    text = (
        "#separator:tab\n#guid column:1\n#tags column:4\n"
        "guid1\tfront\tback\ttag\nguid2\tf\tb\tthird\ttag\nguid3\tlonely\n"
    )
    result = parse_pasted_cards(text)
    assert cards(result) == [("front", "back")]
    assert bad(result) == [
        (5, "3 fields; a card here has only a front and a back"),
        (6, "no tab between front and back"),
    ]


def test_anki_literal_and_unknown_separators():
    assert cards(parse_pasted_cards("#separator:|\na|b")) == [("a", "b")]
    result = parse_pasted_cards("#separator:weird\na\tb")
    assert cards(result) == [] and bad(result) == [(1, "an Anki separator this site does not know")]


def test_too_many_cards_are_cut_with_a_message():
    result = parse_pasted_cards("".join(f"f{i}\tb{i}\n" for i in range(MAX_CARDS + 3)))
    assert len(result.cards) == MAX_CARDS
    assert bad(result) == [(MAX_CARDS + 1, f"more than {MAX_CARDS} cards at once; paste the rest (3) separately")]
