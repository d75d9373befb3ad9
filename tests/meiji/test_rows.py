"""List rows read with SQL kept per query shape give what Tortoise itself gives, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet

from content.models import Diary, DiaryEntry
from kernel import db
from kernel import rows as _rows
from tests.conftest import base_settings

TITLES = ["全切双眼皮第七天，拆线了", "热玛吉做完一个月，法令纹浅了", "玻尿酸填充苹果肌，第三天消肿",
          "埋线双眼皮，医生很耐心"]
START = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)


async def _seed() -> None:
    for i in range(24):
        await Diary.create(title=TITLES[i % 4], procedure=("shuang-yan-pi", "re-ma-ji")[i % 2],
                           operated_on=date(2026, 9, 1) + timedelta(days=i), clinic_id=i % 3 or None,
                           author_id=i % 5 + 1, anonymous=i % 3 == 0,
                           status=("published", "published", "hidden")[i % 3], popularity=float(i * 7 % 11),
                           before_media_ids=[f"m{i}"], created_at=START + timedelta(hours=i),
                           updated_at=START + timedelta(hours=i))


def _ids(rows: list[Any]) -> list[int]:
    return [row.id for row in rows]


async def _same(qs: QuerySet[Diary]) -> list[int]:
    """``fetch`` and Tortoise agree on the rows, their order and their values."""
    rows = await _rows.fetch(qs)
    models = await qs
    assert _ids(rows) == [m.id for m in models]
    for row, model in zip(rows, models, strict=True):
        assert (row.title, row.created_at, row.operated_on, row.anonymous, row.before_media_ids) == (
            model.title, model.created_at, model.operated_on, model.anonymous, model.before_media_ids)
    return _ids(rows)


def test_queries_of_one_shape_share_sql_and_keep_their_own_values(tmp_path: Path, database_url: str) -> None:
    async def run() -> None:
        await db.open_database(base_settings(tmp_path, database_url=database_url))
        try:
            await _seed()
            # The same shapes with different values, twice each: the second of each uses the kept SQL.
            for procedure in ("shuang-yan-pi", "re-ma-ji", "shuang-yan-pi", "re-ma-ji"):
                page = Diary.filter(status="published", procedure=procedure).order_by("-id").limit(5)
                assert await _same(page)
            for below in (20, 10, 20, 10):
                cursor = Q(popularity__lt=5.0) | Q(popularity=5.0, id__lt=below)
                assert await _same(Diary.filter(cursor, status="published").order_by("-popularity", "-id").limit(4))
            for statuses in (("published",), ("published", "hidden"), ("hidden", "published"), ("hidden",)):
                assert await _same(Diary.filter(status__in=statuses, author_id=2).order_by("id"))
            found = [await _same(Diary.filter(anonymous=anonymous, clinic_id=None).order_by("id").limit(30))
                     for anonymous in (True, False, True)]
            assert found[0] == found[2] != [] and found[1] == []
            # Same number and types of values, other columns: never the other query's SQL.
            by_author, by_clinic, by_doctor = [await _same(Diary.filter(**{column: 2}).order_by("id"))
                                               for column in ("author_id", "clinic_id", "doctor_id")]
            assert by_author != by_clinic and by_doctor == []
            # Values Tortoise converts, and expressions, are compiled every time and still right.
            for moment in (START + timedelta(hours=5), START + timedelta(hours=15)):
                assert await _same(Diary.filter(created_at__gte=moment).order_by("id"))
            compared = [await _same(Diary.filter(comment_count=F(column)).order_by("id"))
                        for column in ("like_count", "version")]
            assert len(compared[0]) == 24 and compared[1] == []
            # IS NULL and IS NOT NULL are two shapes, not one shape with two values.
            with_clinic, without = [await _same(Diary.filter(clinic_id__isnull=missing).order_by("id"))
                                    for missing in (False, True)]
            assert len(with_clinic) == 16 and len(without) == 8
            assert await _same(Diary.filter(clinic_id__isnull=False).order_by("id")) == with_clinic
            # A field through a relation is equality through a join: kept, and right for each value.
            diaries = await Diary.all().order_by("id")
            for diary in diaries[:6]:
                await DiaryEntry.create(diary_id=diary.id, author_id=diary.author_id, anonymous=diary.anonymous,
                                        body="<p>术后第三天，消肿了一些</p>", text="术后第三天，消肿了一些",
                                        happened_on=date(2026, 10, 4), day=3, media_ids=[], created_at=START,
                                        updated_at=START)
            for status in ("published", "hidden", "published"):
                entries = DiaryEntry.filter(diary__status=status).order_by("id")
                through = _ids(await _rows.fetch(entries))
                assert through == [m.id for m in await entries] and len(through) == (4 if status == "published" else 2)
            assert any(key[0] is DiaryEntry and sql for key, sql in _rows._compiled.items())
            kept = [sql for sql in _rows._compiled.values() if sql]
            assert kept, "no query shape was kept"
        finally:
            await db.close_database()

    asyncio.run(run())


def test_a_row_read_by_id_is_the_models_row_on_either_database(tmp_path: Path, database_url: str) -> None:
    async def run() -> None:
        await db.open_database(base_settings(tmp_path, database_url=database_url))
        try:
            await _seed()
            for model in await Diary.all().order_by("id"):
                row = await _rows.fetch_by_id(Diary, model.id)
                assert row is not None
                assert {name: getattr(row, name) for name in Diary._meta.fields_db_projection} == {
                    name: getattr(model, name) for name in Diary._meta.fields_db_projection}
            assert await _rows.fetch_by_id(Diary, 10_000) is None
            with pytest.raises(AttributeError):
                row.title = "改过的标题"
        finally:
            await db.close_database()

    asyncio.run(run())



def test_rows_cannot_be_saved_or_changed(tmp_path: Path, sqlite_url: str) -> None:
    async def run() -> None:
        await db.open_database(base_settings(tmp_path, database_url=sqlite_url))
        try:
            await _seed()
            row = (await _rows.fetch(Diary.filter(status="published").order_by("id").limit(1)))[0]
            with pytest.raises(TypeError):
                row.save()  # type: ignore[misc]  # mypy rejects it too: that is the point
            with pytest.raises(AttributeError):
                row.title = "改过的标题"
            assert row.title == TITLES[0]
        finally:
            await db.close_database()

    asyncio.run(run())


def test_only_shapes_known_to_compile_alike_are_kept(tmp_path: Path, database_url: str) -> None:
    async def run() -> None:
        await db.open_database(base_settings(tmp_path, database_url=database_url))
        try:
            await _seed()
            _rows._compiled.clear()
            # Text lookups rewrite their values (``%双眼皮%``): never kept, always right.
            for word in ("双眼皮", "玻尿酸", "双眼皮"):
                assert await _same(Diary.filter(title__icontains=word).order_by("id"))
            assert not any(sql for sql in _rows._compiled.values())
            # A plain shape is kept under its dialect: the same model and filters on another database
            # never reuse it.
            assert await _same(Diary.filter(status="published", author_id=2).order_by("id"))
            dialects = {key[2] for key, sql in _rows._compiled.items() if sql}
            assert dialects == {"postgres" if database_url.startswith("postgres") else "sqlite"}
        finally:
            await db.close_database()

    asyncio.run(run())


def test_parameters_are_compared_by_type_as_well_as_value() -> None:
    assert _rows._same_params([1, "a"], [1, "a"])
    assert not _rows._same_params([True], [1])
    assert not _rows._same_params([Decimal("1")], [1])
    assert not _rows._same_params([1], [1, 2])
