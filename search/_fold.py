"""Character folding: traditional to simplified, full-width to half-width, case.

Every mapping is one character to one character, so offsets in folded text are offsets in the
original: snippets are cut from the original text at positions found in the folded one.
"""

from __future__ import annotations

from pathlib import Path

import opencc


def _table() -> dict[int, int]:
    table: dict[int, int] = {}
    # OpenCC's character table (traditional -> simplified candidates); its phrase tables are not
    # one-to-one and are left out: character folding is enough to match 雙眼皮 with 双眼皮.
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        target = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(target) == 1 and source != target:
            table[ord(source)] = ord(target)
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[code] = code - 0xFEE0
    table[0x3000] = 0x20  # ideographic space
    table[0x0130] = ord("i")  # İ lowercases to two characters; keep folding length-preserving
    return table


TABLE = _table()


def fold(text: str) -> str:
    """``text`` with traditional characters simplified, full-width ASCII narrowed, lower case."""
    return text.translate(TABLE).lower()
