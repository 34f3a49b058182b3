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


# ------------------------------------------------------------------ match keys (issue 10)
#
# The phonetic key above is kept as it is (its tokens are stored); the match keys below
# add what it missed, measured on generated West African registrations: vowels written
# ou/w/u and y/i, c/k/q and tch/ch/sh, dj/j, the labial-velars gb/kp, h after a consonant,
# doubled letters, French silent finals, names joined or split at an apostrophe or a
# hyphen, particles, names in other scripts, and typos (the one-deletion keys). Each rule
# has an example in docs/matching.md ("Noms"). Keys are pure functions of the text: the
# same on every node and on SQLite and PostgreSQL (they are computed in Python, by the
# write path, and stored as blind indexes).

# Words that join names rather than name someone: "Moussa dit Madou", "Ag Ahmed",
# "Ould Mohamed", "Ben Ali", "El Hadj". They are still indexed, but weigh nothing in a
# search and are not required to match.
PARTICLES = frozenset({"de", "du", "des", "la", "le", "da", "di", "dit", "dite", "el", "al",
                       "ben", "bin", "bint", "ibn", "ould", "ag", "wald", "epse", "epouse", "ep",
                       "vve", "veuve", "ne", "nee"})

_MATCH_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(.)\1+"), r"\1"),  # doubled letters: Ouattara -> ouatara, Barry -> bary
    (re.compile(r"^di(?=[aeou])"), "j"),  # Diallo -> jalo
    (re.compile(r"^dy(?=[aeiou])"), "j"),  # Dyénaba -> jenaba
    (re.compile(r"x"), "ks"),  # Xavier -> ksavier (x is the tch sound below)
    (re.compile(r"dj|dz"), "j"),  # Djibril -> jibril, Agbodjan -> agbojan
    (re.compile(r"tch|tsh|tj|ch|sh|sch"), "x"),  # Tchalla / Challa / Shala -> one sound
    (re.compile(r"ph"), "f"),  # Philomène -> filomen
    (re.compile(r"th"), "t"),  # Thiombiano -> tiombiano
    (re.compile(r"gh"), "g"),  # Zongho -> zongo
    (re.compile(r"kh"), "k"),  # Cheikh -> xek
    (re.compile(r"gb"), "b"),  # Agbo / Abo: labial-velar written as one consonant
    (re.compile(r"kp"), "p"),  # Kpodar / Podar
    (re.compile(r"qu|ck|q"), "k"),  # Cheick -> xek, Quenum -> kenum
    (re.compile(r"c(?=[eiy])"), "s"),  # Cissé -> sise
    (re.compile(r"c"), "k"),  # Compaoré -> kompaore, Coulibaly -> koulibaly
    (re.compile(r"z"), "s"),  # Zongo / Songo (z written s in anglophone registers)
    (re.compile(r"ou|w"), "u"),  # Ouédraogo / Wedraogo / Uedraogo; Kouamé / Kwame
    (re.compile(r"y"), "i"),  # Yaméogo / Iameogo; Barry / Bari
    (re.compile(r"^h"), ""),  # silent initial h: Hawa / Awa, Habib -> abib
    (re.compile(r"(?<=[aeiou])(?:t|s|e|h)$"), ""),  # silent finals: Traoret, Kaborey -> traore
    (re.compile(r"(?<=[^aeiou])e$"), ""),  # Aminatte / Aminata: a final mute e
    (re.compile(r"(.)\1+"), r"\1"),  # doubles made by the rules above
]


def romanise(word: str) -> str:
    """A word of another script (Arabic/Ajami, N'Ko, Cyrillic...) in Latin letters, for
    the match keys (``anyascii``: "محمد" -> "mhmd", "ߡߊߡߊߘߎ" -> "mamadu"). Latin words are
    returned as they are."""
    if word.isascii():
        return word
    from anyascii import anyascii

    return normalise(anyascii(word)).replace(" ", "")


def key_words(text: str | None) -> list[str]:
    """The words a name is indexed and matched by: its normalised words, the words of
    another script also in Latin letters, and a name cut at an apostrophe or a hyphen
    also joined ("N'Diaye" -> n, diaye, ndiaye; "Ba-Traoré" -> ba, traore, batraore)."""
    if not text:
        return []
    out: list[str] = []
    for chunk in str(text).split():
        words = tokens(chunk)
        out.extend(words)
        if len(words) > 1:
            out.append("".join(words))
    for w in list(out):
        latin = romanise(w)
        if latin and latin != w:
            out.append(latin)
    seen: set[str] = set()
    return [w for w in out if not (w in seen or seen.add(w))]


def significant(words: list[str]) -> list[str]:
    """``words`` without particles (unless there is nothing else)."""
    kept = [w for w in words if w not in PARTICLES]
    return kept or words


def spelling(word: str) -> str:
    """The word with the transliteration rules applied, vowels kept: what two spellings
    of the same spoken name share ("Ouédraogo", "Wedraogo" -> "uedraogo")."""
    word = romanise(normalise(word).replace(" ", ""))
    if not word or not word.isascii():
        return ""
    for pattern, repl in _MATCH_RULES:
        word = pattern.sub(repl, word)
    return word


def sound_key(word: str) -> str:
    """First sound (any vowel written "a"), then the consonants, each once in a row:
    "Ouédraogo", "Wedraogo", "Ouedrago" -> "adrg"; "Tchalla", "Challa" -> "xl"."""
    spelt = spelling(word)
    if not spelt:
        return ""
    head = "a" if spelt[0] in "aeiou" else spelt[0]
    key = [head]
    for c in spelt[1:]:
        if c not in "aeiou" and c != key[-1]:
            key.append(c)
    return "".join(key)


def deletion_keys(key: str) -> set[str]:
    """The key with one letter left out, for keys of at least 3 letters (shorter keys
    would match nearly everything): a typo that changes, adds or drops one consonant
    leaves one of these in common ("Sawadogo" "swdg" and "Sawadoko" "swdk" share "swd")."""
    if len(key) < 3:
        return set()
    return {key[:i] + key[i + 1:] for i in range(len(key))}
