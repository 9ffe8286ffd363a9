"""Spelling-blind text keys: the one normalisation every name goes through.

Two names are the same name when they look the same to a reader. The key of a
name is therefore built from what it looks like, not from its code points:

1. NFKC, so that fullwidth letters, ligatures and compatibility spaces become
   their plain forms;
2. ``&`` read as "and", the only symbol that names carry as a word;
3. the Unicode confusable skeleton of UTS #39 (``disarm.skeleton_key``, which
   also removes bidi controls, zero-width and other invisible characters), so
   that a Greek Eta, a Cyrillic I or a fullwidth C reads as the Latin letter it
   imitates;
4. case folded, combining marks dropped, and the classes that UTS #39 treats as
   one glyph merged (``I``, ``l``, ``1`` and ``|``; ``O`` and ``0``);
5. split into words on anything that is not a letter or digit, so spacing,
   periods, slashes and hyphens do not matter.

Keys are not meant to be read: ``ICE`` has the key ``lce``. Registry aliases go
through the same function, so a look-up compares keys with keys.
"""

from __future__ import annotations

import re
import unicodedata

import disarm

_GLYPH_CLASSES = str.maketrans({"i": "l", "1": "l", "|": "l", "0": "o"})
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def nfkc(text: str) -> str:
    """NFKC with format characters (zero-width, bidi controls) removed."""
    return "".join(
        c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf"
    )


def _drop_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def words(text: str) -> tuple[str, ...]:
    """The key words of ``text``: skeleton, case-folded, split on non-alphanumerics."""
    plain = nfkc(text).replace("&", " and ")
    skeleton = disarm.skeleton_key(plain) if plain.strip() else ""
    folded = _drop_marks(skeleton).casefold().translate(_GLYPH_CLASSES)
    return tuple(w for w in _NOT_WORD.split(folded) if w)


def key(text: str) -> str:
    """The key of a whole name: its key words joined without separators."""
    return "".join(words(text))
