"""Name normalisation and phonetic keys for West African names.

Registers spell the same name many ways: Ouédraogo / Ouedraogo / Wedraogo, Diallo / Jallo,
Ouattara / Wattara, Compaoré / Kompaore, Cheick / Sheikh. Soundex and Metaphone are built
for English and keep "Ou" and "W" apart, so no library key fits; these few rules map the
French colonial spellings and the anglophone ones of the same sounds onto one key.

Letters of West African Latin alphabets (ɛ, ɔ, ŋ, ɖ, ɓ, ɗ, ƙ...) are written as a French
register would ("Kɔfi" -> "kofi"), and names in other scripts (Ajami, N'Ko, Cyrillic...)
are kept, not dropped: they are found by word and prefix; the phonetic rules, built for
Latin spellings, leave them without a phonetic key.
"""

from __future__ import annotations

import re
import unicodedata

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


# Letters of West African Latin alphabets (Ewe, Kabiyè, Mooré, Hausa, Fulfulde...) and a
# few others that have no accent-free decomposition, written as a French register would:
# "Kɔfi" is found by "Kofi", "Ŋɔ" by "Ngo", "Ɓello" by "Bello".
_LATIN_EXTRA = str.maketrans({
    "ɛ": "e", "ɔ": "o", "ŋ": "ng", "ɖ": "d", "ƒ": "f", "ʋ": "v", "ɣ": "g", "ɓ": "b", "ɗ": "d",
    "ƙ": "k", "ƴ": "y", "ɲ": "ny", "ə": "e", "ʃ": "sh", "ʒ": "j", "ß": "ss", "ø": "o", "đ": "d",
    "ł": "l", "æ": "ae", "œ": "oe", "ı": "i", "ŧ": "t", "ħ": "h",
})


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_LETTERS = {"Lu", "Ll", "Lt", "Lo"}  # not modifier letters (Lm: ʼ, ˆ...), which are marks


def _keep(c: str) -> bool:
    """a–z, and the letters of other scripts (Arabic/Ajami, N'Ko, Cyrillic...), which
    are kept rather than dropped so that a name written in them is searchable too."""
    return ("a" <= c <= "z") or (not c.isascii() and unicodedata.category(c) in _LETTERS)


def normalise(text: str | None) -> str:
    """Case-fold, strip accents, keep letters; words separated by one space.

    Latin-script names come out in a–z ("Aïcha-Éléonore N'DIAYE" -> "aicha eleonore n
    diaye", "Kɔfi" -> "kofi"); letters of other scripts are kept, case-folded and
    without their vowel marks (Arabic harakat, for instance), so that the same name
    typed with or without them meets.
    """
    if not text:
        return ""
    folded = _strip_marks(_strip_marks(str(text)).casefold().translate(_LATIN_EXTRA))
    return " ".join("".join(c if _keep(c) else " " for c in folded).split())


def tokens(text: str | None) -> list[str]:
    return normalise(text).split()


def phonetic_key(token: str) -> str:
    """A key shared by spellings of the same spoken name: first sound, then consonants."""
    word = normalise(token).replace(" ", "")
    if not word or not word.isascii():
        return ""  # the rules are for Latin spellings; other scripts match by word and prefix
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
