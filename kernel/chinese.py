"""Chinese text the rooms share: traditional characters to simplified, one character to one."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import opencc


@cache
def simplified() -> dict[int, int]:
    """A ``str.translate`` table from each traditional character to its simplified one.

    OpenCC's character table (traditional -> simplified candidates, the first taken); its phrase
    tables are not one-to-one and are left out: a character for a character keeps offsets in the
    text, and is enough to match 雙眼皮 with 双眼皮 or 美記 with 美记.
    """
    table: dict[int, int] = {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        target = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(target) == 1 and source != target:
            table[ord(source)] = ord(target)
    return table
