"""``kernel.caches.Kept``: what a bounded cache holds, for how long, and what it drops."""

from __future__ import annotations

import time

from kernel.caches import MISSING, Kept


def test_a_kept_none_is_told_apart_from_a_missing_key() -> None:
    plans: Kept[str, str | None] = Kept(10)
    assert plans.get("，，，") is MISSING
    plans.put("，，，", None)  # a query of punctuation alone has no plan: that answer is kept too
    assert plans.get("，，，") is None
    assert plans.put("双眼皮", "plan") == "plan" and plans.get("双眼皮") == "plan"


def test_values_expire_and_a_full_cache_drops_them_all() -> None:
    views: Kept[int, str] = Kept(2, seconds=0.05)
    views.put(1, "第一张照片")
    views.put(2, "第二张照片")
    assert len(views) == 2
    views.put(3, "第三张照片")  # full: the others go, the new one stays
    assert views.get(1) is MISSING and views.get(2) is MISSING and views.get(3) == "第三张照片"
    time.sleep(0.06)
    assert views.get(3) is MISSING
    views.put(4, "第四张照片")
    views.clear()
    assert views.get(4) is MISSING and len(views) == 0
