"""Name normalisation and phonetic keys for West African names.

Registers spell the same name many ways: Ouédraogo / Ouedraogo / Wedraogo, Diallo / Jallo,
Ouattara / Wattara, Compaoré / Kompaore, Cheick / Sheikh. Soundex and Metaphone are built
for English and keep "Ou" and "W" apart, so no library key fits; these few rules map the
French colonial spellings and the anglophone ones of the same sounds onto one key.
"""

from __future__ import annotations

import re
import unicodedata

_NON_LETTERS = re.compile(r"[^a-z]+")
_VOWELS = set("aeiouy")

# Applied in order on a lower-case, accent-free token.
_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^di(?=[aeou])"), "j"),  # Diallo -> Jallo, Diarra -> Jarra
    (re.compile(r"tch"), "c"),
    (re.compile(r"dj"), "j"),
    (re.compile(r"ou(?=[aeiy])"), "w"),  # Ouédraogo -> wedraogo, Ouattara -> wattara
    (re.compile(r"ou"), "u"),  # Kouamé -> kuame
    (re.compile(r"ph"), "f"),
    (re.compile(r"(sh|ch)"), "s"),
    (re.compile(r"qu"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"c|ck"), "k"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"gu(?=[ei])"), "g"),
    (re.compile(r"(?<=[^sc])h|^h"), ""),
    (re.compile(r"z"), "s"),
]


def normalise(text: str | None) -> str:
    """Lower-case, strip accents, keep letters; words separated by one space."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(_NON_LETTERS.sub(" ", ascii_text).split())


def tokens(text: str | None) -> list[str]:
    return normalise(text).split()


def phonetic_key(token: str) -> str:
    """A key shared by spellings of the same spoken name: first sound, then consonants."""
    word = normalise(token).replace(" ", "")
    if not word:
        return ""
    for pattern, repl in _RULES:
        word = pattern.sub(repl, word)
    if not word:
        return ""
    head, rest = word[0], word[1:]
    consonants = [c for c in rest if c not in _VOWELS]
    key = [head]
    for c in consonants:
        if c != key[-1]:
            key.append(c)
    return "".join(key)


def phonetic_keys(text: str | None) -> list[str]:
    return [k for k in (phonetic_key(t) for t in tokens(text)) if k]
