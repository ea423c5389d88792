"""Account names: look-alike usernames (Unicode's confusables, from ``confusable_homoglyphs``) and taken emails.

A new username is refused when it mixes scripts ("stu_а" with a Cyrillic "а") or when its
skeleton equals an existing username's. The skeleton follows Unicode TS #39: decompose (NFD) and
replace every character by the representative of its class of look-alikes in Unicode's
confusables.txt (which the package ships as data), then fold case and do it again; two names with
one skeleton look the same on screen. Classes are closed transitively and their representative is
the ASCII member when there is one, so "I", "l", "1" and "|" share a skeleton, as do "O" and "0":
stricter than the standard's one-way mapping, which is what a list of usernames on a dashboard
needs. (The package has the data and the script test but no skeleton function; this is it.)
"""

import unicodedata
from functools import cache

from confusable_homoglyphs import confusables
from django.contrib.auth import get_user_model


@cache
def _representatives():
    parent = {}

    def find(char):
        parent.setdefault(char, char)
        while parent[char] != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    def rank(char):
        return (not char.isascii(), ord(char))

    for char, homoglyphs in confusables.confusables_data.items():
        for glyph in homoglyphs:
            other = glyph["c"]
            if len(char) != 1 or len(other) != 1:
                continue  # a sequence ("rn" for "m") has no single representative
            a, b = find(char), find(other)
            if a != b:
                low, high = sorted((a, b), key=rank)
                parent[high] = low
    return {char: find(char) for char in parent}


def skeleton(name):
    """The string ``name`` looks like: equal skeletons, indistinguishable on screen."""
    representatives = _representatives()

    def mapped(text):
        return "".join(representatives.get(char, char) for char in unicodedata.normalize("NFD", text))

    # Map, fold case, map again: "I" looks like "l" before folding, "і" (Cyrillic) like "i" after.
    return unicodedata.normalize("NFD", mapped(mapped(name).casefold()))


def is_mixed_script(name):
    """True when the letters come from more than one script (digits and punctuation are common to all)."""
    return bool(confusables.is_mixed_script(name))


def lookalike_of(name, *, exclude_pk=None):
    """An existing username that looks like ``name`` (other than ``name`` itself), or None.

    Reads every username once (one query, streamed): sign-up is rare and rate-limited.
    """
    target = skeleton(name)
    usernames = get_user_model().objects.exclude(pk=exclude_pk).values_list("username", flat=True)
    for existing in usernames.iterator(chunk_size=2000):
        if existing != name and skeleton(existing) == target:
            return existing
    return None


def email_taken(email, *, exclude_pk=None) -> bool:
    """Whether another account has this email address (emails are unique, whatever their case)."""
    return get_user_model().objects.filter(email__iexact=email).exclude(pk=exclude_pk).exists()
