"""Perceptual hashes of photos removed on legal notices, so that the same photo re-encoded, resized,
lightly cropped or brightened cannot simply be uploaded again.

The hash is ``imagehash``'s pHash (64 bits, from a 32x32 DCT): it is computed while rendering, on
the smallest variant the pipeline already holds in memory, so an upload pays for a 320 px image,
not the original. Lookups go through 4 indexed bands of 16 bits (``Fingerprint.b0``..``b3``),
probed at the new photo's value and its one-bit neighbours (see ``Fingerprint``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import imagehash
from PIL import Image
from tortoise.exceptions import IntegrityError

from kernel.clock import now
from kernel.rows import fetch_sql
from media.models import REMOVED, Fingerprint

BANDS = 4
BAND_BITS = 16
# Within this distance some band of a match differs in at most one bit: 4 bands of 2 would be 8.
MAX_DISTANCE = 2 * BANDS - 1


def phash(im: Image.Image) -> str:
    """The 64-bit pHash of an image, as 16 hex digits."""
    return str(imagehash.phash(im))


def bands(value: str) -> list[int]:
    """The hash's 4 bands of 16 bits, for the indexed band columns."""
    number = int(value, 16)
    mask = (1 << BAND_BITS) - 1
    return [(number >> (BAND_BITS * (BANDS - 1 - n))) & mask for n in range(BANDS)]


def neighbours(band: int) -> list[int]:
    """The band and every value one bit away from it."""
    return [band, *(band ^ (1 << bit) for bit in range(BAND_BITS))]


def distance(a: str, b: str) -> int:
    """Hamming distance between two hashes in hex."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True)
class Match:
    """A stored fingerprint close to a new photo."""

    case_id: str | None
    media_id: str
    reason: str
    distance: int


# Every upload asks this: the rows whose band n is the photo's band n or one of its one-bit
# neighbours, for any n. Written once (4 x 17 values), where a query built per upload cost more
# than the rest of the upload's work on the event loop.
_CLOSE = ("SELECT phash, case_id, media_id, reason FROM media_fingerprint WHERE reason = ? AND ("  # noqa: S608 - no input in the text
          + " OR ".join(f"b{n} IN ({', '.join('?' * (BAND_BITS + 1))})" for n in range(BANDS))
          + ") ORDER BY id")


async def closest(value: str, within: int, *, reason: str = REMOVED) -> Match | None:
    """The stored fingerprint nearest ``value`` within ``within`` bits, if any (oldest on a tie)."""
    if within > MAX_DISTANCE:
        raise ValueError(f"the band index finds matches within {MAX_DISTANCE} bits, not {within}")
    best: Match | None = None
    probes = [near for band in bands(value) for near in neighbours(band)]
    for row in await fetch_sql(Fingerprint, _CLOSE, [reason, *probes]):
        d = distance(value, str(row.phash))
        if d <= within and (best is None or d < best.distance):
            best = Match(row.case_id, str(row.media_id), str(row.reason), d)
    return best


async def remember(value: str, *, media_id: str, case_id: str | None, reason: str = REMOVED,
                   note: str = "") -> bool:
    """Keep the photo's hash, once per upload and reason; False when it was kept already."""
    if await Fingerprint.exists(media_id=media_id, reason=reason):
        return False
    columns: dict[str, Any] = {f"b{n}": band for n, band in enumerate(bands(value))}
    try:
        await Fingerprint.create(phash=value, reason=reason, case_id=case_id, media_id=media_id, note=note,
                                 created_at=now(), **columns)
    except IntegrityError:
        # The same upload listed twice at once: the other request kept it.
        return False
    return True
