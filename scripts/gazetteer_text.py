"""Text helpers shared by the gazetteer generators: the engine's folding and TOML quoting."""

from __future__ import annotations

import re


def fold(text: str) -> str:
    """The engine's normalization, enough to spot duplicate spellings (see src/normalize.rs)."""
    text = re.sub("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]", "", text)
    text = re.sub("[\u200b-\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff]", "", text)
    text = text.translate(str.maketrans("أإآٱىةکیېۍ", "اااايهكييي"))
    text = re.sub(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def quote(s: str) -> str:
    """A TOML basic string."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
