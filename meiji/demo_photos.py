"""Before/after photos for the demo diaries, drawn with Pillow when the demo is loaded.

A before/after diary without photos shows nothing of what the service is for, and the repository
ships no image files: each photo is drawn (a face, eyes, skin) so that a diary's "before" and
"after" differ visibly in the way its procedure would change them, then uploaded through the media
room like any member's photo (same variants, same metadata stripping, same storage).
"""

from __future__ import annotations

import hashlib
import io
import random
from typing import Literal

from PIL import Image, ImageDraw, ImageFilter

from meiji.services import Services

Stage = Literal["before", "after"]

SIZE = (960, 720)
SKIN = (236, 200, 178)


def _face(draw: ImageDraw.ImageDraw, width: int, height: int) -> tuple[int, int, int, int]:
    box = (width // 2 - 230, height // 2 - 300, width // 2 + 230, height // 2 + 320)
    draw.ellipse(box, fill=SKIN, outline=(200, 160, 140), width=4)
    return box


def _eyes(draw: ImageDraw.ImageDraw, cx: int, cy: int, *, crease: bool) -> None:
    for dx in (-110, 110):
        x = cx + dx
        draw.ellipse((x - 60, cy - 22, x + 60, cy + 22), fill=(250, 250, 250), outline=(90, 60, 50), width=3)
        draw.ellipse((x - 18, cy - 18, x + 18, cy + 18), fill=(60, 40, 30))
        if crease:
            # The fold a double-eyelid operation makes, a little above the lash line.
            draw.arc((x - 66, cy - 44, x + 66, cy + 20), start=200, end=340, fill=(150, 100, 85), width=4)
        else:
            draw.arc((x - 62, cy - 30, x + 62, cy + 26), start=200, end=340, fill=(215, 170, 150), width=10)


def _spots(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], count: int, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - where spots fall in a drawing, not a secret
    for _ in range(count):
        x = rng.randint(box[0] + 90, box[2] - 90)
        y = rng.randint(box[1] + 300, box[3] - 160)
        r = rng.randint(4, 9)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(200, 140, 120))


def _lines(draw: ImageDraw.ImageDraw, cx: int, cy: int, depth: int) -> None:
    """Nasolabial folds and a soft jawline: deeper before tightening, faint after."""
    colour = (190 - depth * 4, 140 - depth * 3, 120 - depth * 3)
    for side in (-1, 1):
        draw.arc((cx + side * 70 - 60, cy + 60, cx + side * 70 + 60, cy + 200),
                 start=90 if side > 0 else 0, end=180 if side > 0 else 90, fill=colour, width=max(2, depth))


def draw(procedure: str, stage: Stage, seed: int = 0) -> bytes:
    """One JPEG photo of ``procedure`` at ``stage``."""
    width, height = SIZE
    image = Image.new("RGB", SIZE, (214, 222, 230))
    pen = ImageDraw.Draw(image)
    box = _face(pen, width, height)
    cx, cy = width // 2, height // 2 - 60
    after = stage == "after"
    _eyes(pen, cx, cy, crease=after or procedure != "shuang-yan-pi")
    pen.arc((cx - 70, cy + 170, cx + 70, cy + 230), start=20, end=160, fill=(170, 90, 90), width=6)
    if procedure == "thermage":
        _lines(pen, cx, cy, 2 if after else 9)
    elif procedure == "shui-guang-zhen":
        _spots(pen, box, 6 if after else 40, seed)
    if after:
        # Healthier skin photographs brighter and smoother.
        image = image.filter(ImageFilter.SMOOTH_MORE)
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, height - 56, width, height), fill=(40, 40, 40))
    pen.text((24, height - 44), f"{stage.upper()}  meiji demo", fill=(255, 255, 255), font_size=30)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


async def upload(services: Services, owner_id: int, procedure: str, stage: Stage, seed: int = 0) -> str:
    """Draw and upload one photo for ``owner_id``; returns its media id, pending until attached."""
    from media.services import MediaService

    media = services.media
    assert isinstance(media, MediaService)
    data = draw(procedure, stage, seed)
    upload = await media.upload(io.BytesIO(data), owner_id=owner_id, purpose="post",
                                sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    return str(upload.id)
