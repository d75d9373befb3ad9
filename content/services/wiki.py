"""The encyclopedia (百科): pages with numbered revisions, written by editors.

- ``PUT`` creates a page (201) or, with ``If-Match``, saves a new revision (200); without ``If-Match``
  on an existing page: 428; a stale one: 412 (compare-and-set on ``version``, so two editors can never
  both win). Every save, revert included, is a ``WikiRevision`` with its editor, time and comment.
- A page is addressed by its slug; a slug is never all digits, so ``/v1/wiki/{id}`` (the id that
  search documents and moderation use, key ``("wiki", id)``) also finds it.
- A new page, or a change of title or aliases, enqueues ``("vocabulary", "*")`` so search reloads its
  dictionary, together with the page's own ``("wiki", id)`` key.
- Pages have no author (``author_id`` is NULL): deleting an editor's account keeps the encyclopedia.

Search: ``page_documents`` (the kind's ``search_docs``) and ``vocabulary()`` (its ``terms``: published
titles with aliases, 热玛吉: Thermage, 射频紧肤) feed ``content.documents``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from content import visibility
from content.interfaces import ContentServices
from content.models.wiki import WikiPage, WikiRevision
from content.sanitizer import plain, sanitize
from content.schemas.wiki import FACT_NAMES, Citation, Material, RevertIn, WikiIn, WikiQuery
from content.services import lifecycle, reference
from content.visibility import Kind, post_etag, register, visible_or_raise
from kernel import db
from kernel.clock import now
from kernel.rows import Row, fetch
from kernel.web.auth import Principal
from kernel.web.ids import parse_id
from kernel.web.pagination import PageQuery, page_by
from kernel.web.problems import Problem, invalid, not_found
from search.interfaces import Document, Term
from search.outbox import VOCABULARY, enqueue

_SLUG = re.compile(r"^[\w-]{1,80}$")

# ``precondition(current_etag, required)``: the handler's If-Match check (412, or 428 when required).
Precondition = Callable[[str, bool], None]


def page_etag(page: WikiPage) -> str:
    return post_etag("wiki", page)


async def _no_holders(obj: Any) -> list[str]:
    return []  # pages carry no uploaded media


async def _on_publicity(page: WikiPage, public: bool) -> None:
    # A hidden or removed page's title and aliases leave the suggestions and the dictionary.
    await enqueue([VOCABULARY])


async def page_documents(ids: Sequence[int]) -> dict[int, Document]:
    """The search documents of these page ids (published only): title, aliases, summary and text."""
    rows = await fetch(WikiPage.filter(id__in=list(ids), status="published"))  # plain rows: read only
    return {p.id: Document(type="wiki", id=str(p.id), title=p.title,
                           text="\n".join([" ".join(p.aliases), p.summary, p.text, _material_words(p)]).strip(),
                           created_at=p.created_at, procedure=p.procedure, popularity=float(p.like_count))
            for p in rows}


def _material_words(page: WikiPage | Row) -> str:
    # A reader searching a brand (乔雅登) or a material finds the page that lists it.
    return " ".join(" ".join(filter(None, (m.get("name"), m.get("brand")))) for m in page.materials)


async def vocabulary() -> list[Term]:
    """Published page titles with their aliases, for the search dictionary and suggestions."""
    rows = await WikiPage.filter(status="published").order_by("id")
    return [Term(text=p.title, kind="wiki", aliases=tuple(p.aliases)) for p in rows]


register(Kind(type="wiki", model=WikiPage, path="/v1/wiki/{id}", what="encyclopedia page", title=lambda p: p.title,
              holders=_no_holders, on_publicity=_on_publicity, search_docs=page_documents, terms=vocabulary))




def _aliases(title: str, raw: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for index, alias in enumerate(raw):
        clean = plain(alias)
        if len(clean) > 60:
            raise invalid(f"aliases.{index}", "must be at most 60 characters")
        if clean and clean != title and clean.casefold() not in seen:
            seen[clean.casefold()] = clean
    return list(seen.values())


async def _fields(data: WikiIn) -> dict[str, Any]:
    title = plain(data.title)
    if not title:
        raise invalid("title", "must not be blank")
    await reference.require_procedure(data.procedure)
    rich = await sanitize(data.body, field="body")
    facts = data.facts.model_dump()
    facts["risks"] = [r for r in (plain(x) for x in facts["risks"]) if r]
    facts["suitable_for"], facts["not_suitable_for"] = plain(facts["suitable_for"]), plain(facts["not_suitable_for"])
    return {"title": title, "aliases": _aliases(title, data.aliases), "summary": plain(data.summary),
            "body": rich.html, "text": rich.text, "facts": facts, "procedure": data.procedure,
            "materials": [_material(m) for m in data.materials], "citations": _citations(data, facts)}


def _material(item: Material) -> dict[str, Any]:
    return {"name": item.name, "kind": item.kind, "brand": item.brand or None,
            "approval_no": item.approval_no, "note": item.note or None}


def _citations(data: WikiIn, facts: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Sources keyed by fact name, in the facts' order; only facts the page states can be cited."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, sources in data.citations.items():
        if name not in FACT_NAMES:
            raise invalid(f"citations.{name}", f"not a fact; one of {', '.join(FACT_NAMES)}")
        if facts[name] in (None, "", []):
            raise invalid(f"citations.{name}", "the page states no such fact to cite a source for")
        if sources:
            out[name] = [_citation(c) for c in sources]
    return {name: out[name] for name in FACT_NAMES if name in out}


def _citation(item: Citation) -> dict[str, Any]:
    return {"title": item.title, "url": item.url, "publisher": item.publisher or None,
            "accessed_on": item.accessed_on.isoformat() if item.accessed_on else None}


async def find_page(slug: str) -> WikiPage | None:
    """The page with this slug, or with this id when the value is all digits; any status."""
    # A longer value cannot be a slug, and the column's validator would fail the query (a 500).
    page = await WikiPage.get_or_none(slug=slug) if db.holds(WikiPage, "slug", slug) else None
    key = parse_id(slug)
    if page is None and key is not None:
        page = await WikiPage.get_or_none(id=key)
    return page


async def get_page(viewer: Principal | None, slug: str) -> WikiPage:
    """The page if the caller may see it (404, or 451 when removed)."""
    return visible_or_raise(await find_page(slug), viewer, "encyclopedia page")


async def list_pages(query: WikiQuery) -> tuple[list[WikiPage], list[Any] | None]:
    """Published pages, oldest first, optionally about one procedure."""
    rows = WikiPage.filter(status="published")
    if query.procedure:
        rows = rows.filter(procedure=query.procedure)
    return await page_by(rows, query.limit, query.cursor, descending=False)


async def save_page(services: ContentServices, editor: Principal, slug: str, data: WikiIn, conditional: bool,
                    precondition: Precondition) -> tuple[WikiPage, bool]:
    """Create (True) or update (False) a page, writing one numbered revision either way."""
    if not _SLUG.fullmatch(slug) or slug.isdigit():
        raise invalid("slug", "1-80 letters, digits, _ or -, not only digits")
    page = await WikiPage.get_or_none(slug=slug)
    values = await _fields(data)
    comment = plain(data.comment)
    if page is None:
        if conditional:
            raise Problem(412, "There is no such page yet; create it without If-Match.")
        return await _create(slug, values, editor, comment), True
    visible_or_raise(page, editor, "encyclopedia page")
    precondition(page_etag(page), True)
    return await _update(page, values, editor, comment), False


async def _create(slug: str, values: dict[str, Any], editor: Principal, comment: str) -> WikiPage:
    at = now()
    try:
        async with in_transaction():
            page = await WikiPage.create(slug=slug, **values, revision=1, created_at=at, updated_at=at)
            await _revision(page, 1, values, editor, comment or "创建词条", at)
            await enqueue([VOCABULARY, ("wiki", str(page.id))])
    except IntegrityError:
        raise Problem(409, "Another editor created this page a moment ago; fetch it and edit that.") from None
    return page


async def _update(page: WikiPage, values: dict[str, Any], editor: Principal, comment: str,
                  reverted_from: int | None = None) -> WikiPage:
    at = now()
    number = page.revision + 1
    names_changed = values["title"] != page.title or values["aliases"] != page.aliases
    async with in_transaction():
        # Compare-and-set: of two saves from the same version, exactly one gets through.
        updated = await WikiPage.filter(id=page.id, version=page.version).update(
            **values, revision=F("revision") + 1, version=F("version") + 1, updated_at=at)
        if not updated:
            raise Problem(412, "The page changed since you read it; fetch it again.")
        await _revision(page, number, values, editor, comment, at, reverted_from)
        await enqueue([VOCABULARY, ("wiki", str(page.id))] if names_changed else [("wiki", str(page.id))])
    await page.refresh_from_db()
    return page


async def _revision(page: WikiPage, number: int, values: dict[str, Any], editor: Principal, comment: str,
                    at: Any, reverted_from: int | None = None) -> None:
    await WikiRevision.create(page_id=page.id, number=number, author_id=editor.id, comment=comment,
                              reverted_from=reverted_from, created_at=at, **values)


async def revert(services: ContentServices, editor: Principal, slug: str, data: RevertIn, conditional: bool,
                 precondition: Precondition) -> WikiPage:
    """Save the content of an earlier revision as a new revision (If-Match honoured when sent)."""
    page = await get_page(editor, slug)
    if conditional:
        precondition(page_etag(page), False)
    old = await WikiRevision.get_or_none(page_id=page.id, number=data.revision)
    if old is None:
        raise invalid("revision", "no such revision of this page")
    if old.suppressed:
        # Reverting would publish again what a moderator took out of the public's sight.
        raise invalid("revision", "this revision was suppressed by a moderator; it cannot be restored")
    values = {"title": old.title, "aliases": old.aliases, "summary": old.summary, "body": old.body,
              "text": old.text, "facts": old.facts, "procedure": old.procedure, "materials": old.materials,
              "citations": old.citations}
    comment = plain(data.comment) or f"恢复到第 {old.number} 版"
    return await _update(page, values, editor, comment, reverted_from=old.number)


async def list_revisions(viewer: Principal | None, slug: str,
                         query: PageQuery) -> tuple[list[WikiRevision], list[Any] | None]:
    """A page's revisions, newest first."""
    page = await get_page(viewer, slug)
    return await page_by(WikiRevision.filter(page_id=page.id), query.limit, query.cursor, field="number")


async def get_revision(viewer: Principal | None, slug: str, number: str) -> tuple[WikiPage, WikiRevision]:
    page = await get_page(viewer, slug)
    key = parse_id(number)
    found = await WikiRevision.get_or_none(page_id=page.id, number=key) if key is not None else None
    if found is None:
        raise not_found("revision")
    return page, found


def page_json(page: WikiPage) -> dict[str, Any]:
    return {"id": str(page.id), "slug": page.slug, "title": page.title, "aliases": page.aliases,
            "summary": page.summary, "body": page.body, "text": page.text, "facts": page.facts,
            "materials": page.materials, "citations": page.citations,
            "procedure": page.procedure, "revision": page.revision, "version": page.version,
            "status": page.status, "created_at": page.created_at, "updated_at": page.updated_at}


def summary_json(page: WikiPage) -> dict[str, Any]:
    return {"id": str(page.id), "slug": page.slug, "title": page.title, "aliases": page.aliases,
            "summary": page.summary, "procedure": page.procedure, "revision": page.revision,
            "updated_at": page.updated_at}


async def revision_json(services: ContentServices, rows: list[WikiRevision], page: WikiPage | None = None,
                        full: bool = False, viewer: Principal | None = None) -> list[dict[str, Any]]:
    """Revisions with their editors (editors sign their work; a deleted account shows null).

    A suppressed revision shows that it exists (number, editor, time, ``suppressed: true``) with its
    content null, except to moderators, who read all of it and why it was suppressed.
    """
    ids = sorted({r.author_id for r in rows if r.author_id is not None})
    views = await services.authors.views(ids) if ids else {}
    moderator = viewer is not None and viewer.is_moderator
    out = []
    for r in rows:
        view = views.get(r.author_id) if r.author_id is not None else None
        item: dict[str, Any] = {"number": r.number, "title": r.title, "comment": r.comment,
                                "author": view.as_json() if view else None, "reverted_from": r.reverted_from,
                                "created_at": r.created_at, "suppressed": r.suppressed}
        if full and page is not None:
            item.update(slug=page.slug, aliases=r.aliases, summary=r.summary, body=r.body, text=r.text,
                        facts=r.facts, materials=r.materials, citations=r.citations, procedure=r.procedure)
        if r.suppressed and moderator:
            item["suppression"] = {"at": r.suppressed_at, "case_id": r.suppressed_case_id,
                                   "reason": r.suppressed_reason}
        elif r.suppressed:
            item.update({name: None for name in SUPPRESSED_FIELDS if name in item})
        out.append(item)
    return out


# --- diffs between two revisions ------------------------------------------------------------------

# Compared in this order; body and text are shown as a line diff of the text, not as values.
DIFF_FIELDS = ("title", "aliases", "summary", "body", "text", "facts", "materials", "citations", "procedure")


async def diff(services: ContentServices, viewer: Principal | None, slug: str, first: int,
               second: int) -> dict[str, Any]:
    """What changed from revision ``first`` to ``second`` (either order; equal numbers change nothing).

    When either side is suppressed, only moderators see the content: everyone else gets both sides'
    heads with ``changed``, ``fields`` and ``lines`` null, since any of them would show the hidden text.
    """
    page = await get_page(viewer, slug)
    rows = {r.number: r for r in await WikiRevision.filter(page_id=page.id, number__in=[first, second])}
    for name, number in (("from", first), ("to", second)):
        if number not in rows:
            raise Problem(404, f"{name}: this page has no revision {number}.",
                          errors=[{"field": name, "message": "no such revision of this page"}])
    old, new = rows[first], rows[second]
    heads = await revision_json(services, [old, new], viewer=viewer)
    out: dict[str, Any] = {"slug": page.slug, "changed": None, "fields": None, "lines": None}
    for name, head in zip(("from", "to"), heads, strict=True):
        out[name] = {key: head[key] for key in ("number", "author", "created_at", "suppressed")}
    if (old.suppressed or new.suppressed) and not (viewer is not None and viewer.is_moderator):
        return out
    changed = [name for name in DIFF_FIELDS if getattr(old, name) != getattr(new, name)]
    out["changed"] = changed
    out["fields"] = {name: {"from": getattr(old, name), "to": getattr(new, name)}
                     for name in changed if name not in ("body", "text")}
    out["lines"] = [line.rstrip("\n") for line in difflib.unified_diff(
        old.text.splitlines(), new.text.splitlines(), f"第{old.number}版", f"第{new.number}版", lineterm="")]
    return out


# --- revision suppression (as MediaWiki's revision deletion) -----------------------------------

# What a suppressed revision no longer shows the public: all that was written in it.
SUPPRESSED_FIELDS = ("title", "comment", "aliases", "summary", "body", "text", "facts", "materials", "citations",
                     "procedure")
_REVISION_PATH = re.compile(r"^/(?:v1/)?wiki/([^/?#]+)/revisions/([0-9]+)/?$")


async def _revision_by_key(target_id: str) -> tuple[WikiPage, WikiRevision] | None:
    """``<slug>@<n>`` or ``<page id>@<n>`` -> the page and its revision n, any status."""
    page_key, _, number = target_id.rpartition("@")
    key = visibility.parse_id(number)
    page = await find_page(page_key) if page_key and key is not None else None
    revision = await WikiRevision.get_or_none(page_id=page.id, number=key) if page is not None else None
    return (page, revision) if page is not None and revision is not None else None


def _revision_info(page: WikiPage, revision: WikiRevision) -> lifecycle.TargetInfo:
    # Pages have no author, nor do their revisions as targets: editors are not struck for the
    # encyclopedia's text, which the service publishes under its own name.
    return lifecycle.TargetInfo(
        type="wiki_revision", id=f"{page.id}@{revision.number}", author_id=None, anonymous=False,
        status="removed" if revision.suppressed else "published", title=f"{revision.title} 第{revision.number}版",
        preview="\n".join([revision.summary, revision.text]).strip()[:280],
        path=f"/v1/wiki/{page.slug}/revisions/{revision.number}", case_id=revision.suppressed_case_id)


async def revision_target(target_id: str) -> lifecycle.TargetInfo | None:
    """A revision as moderation sees it (real content, any state); None when there is none."""
    found = await _revision_by_key(target_id)
    return _revision_info(*found) if found is not None else None


async def set_revision_status(services: ContentServices, target_id: str, status: lifecycle.Status, case_id: str | None,
                              reason: str | None) -> lifecycle.TargetInfo:
    """Suppress (``removed``/``hidden``) or restore (``published``) one revision's content."""
    found = await _revision_by_key(target_id)
    if found is None:
        raise not_found("revision")
    page, revision = found
    if status == "deleted":
        raise Problem(409, "A revision is suppressed or restored; the encyclopedia deletes none.")
    suppress = status != "published"
    if suppress and revision.number == page.revision:
        # The page shows this revision's content: hiding only the revision would hide nothing.
        raise Problem(409, "This is the page's current revision: save a revision without the text first "
                           "(or remove the page), then suppress this one.")
    changes: dict[str, Any] = {"suppressed": suppress, "suppressed_at": now() if suppress else None,
                               "suppressed_case_id": case_id if suppress else None,
                               "suppressed_reason": reason if suppress else None}
    await WikiRevision.filter(id=revision.id).update(**changes)
    await revision.refresh_from_db()
    return _revision_info(page, revision)


async def _resolve_revision(path: str) -> str | None:
    match = _REVISION_PATH.fullmatch(path)
    if match is None:
        return None
    found = await _revision_by_key(f"{match.group(1)}@{match.group(2)}")
    return _revision_info(*found).id if found is not None else None


async def revision_of(target_id: str) -> tuple[WikiPage, WikiRevision]:
    """The page and revision behind a ``<slug>@<n>`` key, for moderators' tools (404 when none)."""
    found = await _revision_by_key(target_id)
    if found is None:
        raise not_found("revision")
    return found


lifecycle.RECORDS["wiki_revision"] = lifecycle.Record(find=revision_target, set_status=set_revision_status,
                                                      resolve=_resolve_revision)


async def _export_revisions(author_id: int) -> list[dict[str, Any]]:
    rows = await WikiRevision.filter(author_id=author_id).prefetch_related("page").order_by("id")
    return [{"slug": r.page.slug, "number": r.number, "comment": r.comment, "created_at": r.created_at}
            for r in rows]


async def _erase_revisions(services: ContentServices, author_id: int, mode: str) -> None:
    # The encyclopedia keeps its history; the editor's name goes from it.
    await WikiRevision.filter(author_id=author_id).update(author_id=None)


lifecycle.EXPORTERS["wiki_revisions"] = _export_revisions
lifecycle.ERASERS.append(_erase_revisions)


# --- demo pages (called by meiji/demo.py) ----------------------------------------------------

# The demo's brands are invented and its registration numbers only have the right form: nothing in
# them names or endorses a real product; readers are sent to the official register.
_DEMO_NOTE = "示例数据，不构成推荐；注册证号请以国家药品监督管理局官网查询为准。"


def _demo_source(title: str, path: str) -> dict[str, Any]:
    return {"title": title, "url": f"https://example.org/baike/{path}", "publisher": "美记编辑部（示例）",
            "accessed_on": "2026-03-01"}


DEMO_PAGES: list[dict[str, Any]] = [
    {"slug": "shuang-yan-pi", "title": "双眼皮", "aliases": ["重睑术", "割双眼皮", "埋线双眼皮"],
     "procedure": "shuang-yan-pi",
     "summary": "重睑术通过切开、埋线或韧带法在上睑形成稳定的皱襞，是最常见的眼部整形手术。",
     "body": "<h2>常见术式</h2><ul><li>全切：适合皮肤松弛、脂肪较多者，效果持久。</li>"
             "<li>埋线：创伤小、恢复快，但可能随时间变浅。</li></ul>"
             "<h2>恢复</h2><p>术后一周拆线，肿胀约两到四周明显消退，完全自然需要三到六个月。</p>",
     "facts": {"price_min_cny": 3000, "price_max_cny": 20000, "recovery_days": 30,
               "risks": ["两侧不对称", "疤痕增生", "术后感染"],
               "suitable_for": "单眼皮、内双或上睑皮肤松弛者",
               "not_suitable_for": "眼部有急性炎症、瘢痕体质或凝血功能障碍者"},
     "materials": [
         {"name": "聚丙烯不可吸收缝合线", "kind": "device", "brand": "澄线（示例品牌）",
          "approval_no": "国械注准20163650417", "note": f"埋线法固定重睑线。{_DEMO_NOTE}"},
         {"name": "盐酸利多卡因注射液", "kind": "drug", "approval_no": "国药准字H20043367",
          "note": f"局部浸润麻醉。{_DEMO_NOTE}"}],
     "citations": {
         "recovery_days": [_demo_source("重睑术后的肿胀期与拆线时间", "shuang-yan-pi/huifu")],
         "risks": [_demo_source("重睑术常见并发症及处理", "shuang-yan-pi/fengxian")]}},
    {"slug": "thermage", "title": "热玛吉", "aliases": ["Thermage", "射频紧肤"], "procedure": "thermage",
     "summary": "热玛吉是一种单极射频紧肤项目，通过加热真皮层刺激胶原再生，改善皮肤松弛和细纹。",
     "body": "<p>单次治疗约一到两小时，<strong>无需开刀</strong>，术后可能短暂发红。</p>"
             "<p>效果通常在三到六个月逐渐显现，可维持一到两年。</p>",
     "facts": {"price_min_cny": 8000, "price_max_cny": 30000, "recovery_days": 1,
               "risks": ["烫伤", "局部红肿", "暂时性麻木"],
               "suitable_for": "轻中度皮肤松弛、希望无创紧致者",
               "not_suitable_for": "孕期、体内有心脏起搏器或金属植入物者"},
     "materials": [
         {"name": "单极射频治疗仪", "kind": "device", "approval_no": "国械注进20173090012",
          "note": f"进口第三类医疗器械。{_DEMO_NOTE}"},
         {"name": "一次性射频治疗头", "kind": "device", "note": "按治疗面积选择发数，每次治疗更换"}],
     "citations": {"price_min_cny": [_demo_source("射频紧肤项目价格调查", "thermage/jiage")]}},
    {"slug": "hyaluronic-acid", "title": "玻尿酸", "aliases": ["透明质酸", "玻尿酸填充"],
     "procedure": "hyaluronic-acid",
     "summary": "玻尿酸（透明质酸）注射用于填充凹陷、塑形和补水，是最常见的微整形项目之一。",
     "body": "<h2>常见部位</h2><p>苹果肌、法令纹、下巴、泪沟和唇部。</p>"
             "<h2>注意</h2><p>请选择正规机构和有资质的医生，注射到血管内可能造成栓塞。</p>",
     "facts": {"price_min_cny": 1500, "price_max_cny": 12000, "recovery_days": 3,
               "risks": ["淤青肿胀", "血管栓塞", "结节"],
               "suitable_for": "面部局部凹陷、轮廓不够饱满者",
               "not_suitable_for": "对透明质酸过敏、注射部位有感染者"},
     "materials": [
         {"name": "交联透明质酸钠凝胶", "kind": "filler", "brand": "晶妍（示例品牌）",
          "approval_no": "国械注准20153130000", "note": f"含利多卡因，用于中重度鼻唇沟填充。{_DEMO_NOTE}"},
         {"name": "交联透明质酸钠凝胶", "kind": "filler", "brand": "澜润（示例品牌）",
          "approval_no": "国械注进20183130215", "note": f"用于唇部与下巴塑形。{_DEMO_NOTE}"},
         {"name": "注射用透明质酸酶", "kind": "drug", "approval_no": "国药准字H20059990",
          "note": f"误入血管或效果不满意时溶解玻尿酸。{_DEMO_NOTE}"}],
     "citations": {
         "risks": [_demo_source("透明质酸注射的血管栓塞风险与急救", "hyaluronic-acid/shuansai")],
         "recovery_days": [_demo_source("玻尿酸注射后的消肿时间", "hyaluronic-acid/huifu")]}},
    {"slug": "shui-guang-zhen", "title": "水光针", "aliases": ["水光注射", "水光"], "procedure": "shui-guang-zhen",
     "summary": "水光针将小分子玻尿酸等成分注入真皮浅层，改善干燥、暗沉和细纹。",
     "body": "<p>一般建议每三到四周一次，三次为一个疗程。术后二十四小时内不要化妆。</p>",
     "facts": {"price_min_cny": 500, "price_max_cny": 3000, "recovery_days": 2,
               "risks": ["针眼红点", "轻微肿胀"],
               "suitable_for": "皮肤干燥、粗糙、缺乏光泽者",
               "not_suitable_for": "面部有痤疮急性发作或皮肤破损者"},
     "materials": [
         {"name": "非交联透明质酸钠溶液", "kind": "filler", "brand": "水漾（示例品牌）",
          "approval_no": "粤械注准20172130001", "note": f"用于真皮浅层补水。{_DEMO_NOTE}"},
         {"name": "负压水光注射仪", "kind": "device", "note": "多针头负压注射，注射深度可调"}],
     "citations": {"not_suitable_for": [_demo_source("水光注射的禁忌人群", "shui-guang-zhen/jinji")]}},
]


async def load_demo(services: ContentServices, editor: Principal) -> int:
    """Write the demo encyclopedia pages (skipping those that exist); returns how many were created.

    A page names its procedure only when reference data has one with that slug.
    """
    created = 0
    for item in DEMO_PAGES:
        if await WikiPage.exists(slug=item["slug"]):
            continue
        fields = {k: v for k, v in item.items() if k != "slug"} | {"comment": "示例词条"}
        if not await reference.procedure_exists(item["procedure"]):
            fields["procedure"] = None
        data = WikiIn.model_validate(fields)
        await _create(item["slug"], await _fields(data), editor, data.comment)
        created += 1
    return created
