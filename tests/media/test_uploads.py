"""``POST /v1/media`` over HTTP, on the local directory backend and on a real S3 server."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image
from starlette.testclient import TestClient

from tests.conftest import AppFactory, Member, sign_up
from tests.corpus import images, need_shared
from tests.media.conftest import Backend, jpeg
from tests.media.helpers import call, fetch, post_image, rows, stored_keys
from tests.media.test_images import REFUSED, riff_chunks

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")


@pytest.fixture
def on_backend(make_client: AppFactory, backend: Backend) -> Iterator[TestClient]:
    with make_client(storage_url=backend.storage_url) as c:
        yield c


def test_an_upload_answers_its_variants_and_each_url_serves_a_safe_image_to_its_uploader(
        on_backend: TestClient) -> None:
    member, stranger = sign_up(on_backend), sign_up(on_backend)

    r = post_image(on_backend, member, jpeg(2400, 1800))

    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/v1/media/{body['id']}"
    assert (body["width"], body["height"], body["purpose"], body["status"]) == (2400, 1800, "post", "pending")
    assert len(body["sha256"]) == 64 and body["bytes"] > 0
    assert {n: (v["width"], v["height"]) for n, v in body["variants"].items()} == {
        "thumb": (320, 240), "medium": (1080, 810), "large": (1920, 1440)}
    for variant in body["variants"].values():
        # Not attached to anything yet: only its uploader opens it, never a shared cache.
        status, headers, data = fetch(on_backend, variant["url"], member.headers)
        assert status == 200
        assert headers["content-type"] == "image/webp"
        assert Image.open(io.BytesIO(data)).size == (variant["width"], variant["height"])
        assert headers["cache-control"] == "private, no-store"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["content-disposition"].startswith("inline; filename=")
        assert fetch(on_backend, variant["url"], stranger.headers)[0] == 404
        assert fetch(on_backend, variant["url"])[0] == 404
    assert len(stored_keys(on_backend)) == 3 and len(rows(on_backend)) == 1


def test_refused_uploads_leave_no_row_and_no_object(on_backend: TestClient) -> None:
    member = sign_up(on_backend)
    whole = jpeg(1600, 1200)

    svg = post_image(on_backend, member, b'<svg xmlns="http://www.w3.org/2000/svg"/>', filename="a.svg",
                     content_type="image/svg+xml")
    html = post_image(on_backend, member, b"<html><script>alert(1)</script></html>", filename="a.jpg")
    truncated = post_image(on_backend, member, whole[: len(whole) // 2])

    assert (svg.status_code, html.status_code, truncated.status_code) == (415, 415, 422)
    for r in (svg, html, truncated):
        assert r.headers["content-type"] == "application/problem+json"
    assert rows(on_backend) == [] and stored_keys(on_backend) == set()


def test_a_gps_photo_is_served_without_gps(on_backend: TestClient) -> None:
    member = sign_up(on_backend)

    r = post_image(on_backend, member, images.exif_gps_jpeg())

    assert r.status_code == 201
    _, _, data = fetch(on_backend, r.json()["variants"]["large"]["url"], member.headers)
    assert not {b"EXIF", b"XMP ", b"ICCP"} & set(riff_chunks(data))
    assert not Image.open(io.BytesIO(data)).getexif()


def upload_each(client: TestClient, member: Member, files: list[tuple[str, bytes]],
                refused: dict[str, int]) -> None:
    """Each file is accepted, or refused with its status leaving no row and no object behind."""
    accepted = 0
    for name, data in files:
        r = post_image(client, member, data, filename=name.rsplit("/", 1)[-1])
        assert r.status_code < 500, (name, r.text)
        if name in refused:
            assert r.status_code == refused[name], (name, r.text)
            assert r.headers["content-type"] == "application/problem+json"
        else:
            assert r.status_code == 201, (name, r.text)
            accepted += 1

    assert len(rows(client)) == accepted
    assert len(stored_keys(client)) == 3 * accepted


def test_every_generated_file_is_accepted_or_refused_with_its_status_and_nothing_is_left(client: TestClient) -> None:
    files = [(name, make()) for name, make in images.ORDINARY.items()]
    files += [(name, make()) for name, (make, _) in images.HOSTILE.items()]

    upload_each(client, sign_up(client), files, {name: status for name, (_, status) in images.HOSTILE.items()})


def test_every_shared_corpus_file_is_accepted_or_refused_with_its_status_and_nothing_is_left(
        client: TestClient) -> None:
    root = need_shared("images")
    files = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in sorted(root.glob("*/*")) if p.suffix != ".md"]

    upload_each(client, sign_up(client), files, REFUSED)


def test_over_40_megapixels_is_413(client: TestClient) -> None:
    member = sign_up(client)
    big = io.BytesIO()
    Image.new("L", (8000, 5001)).save(big, "PNG")

    r = post_image(client, member, big.getvalue(), filename="big.png", content_type="image/png")

    assert r.status_code == 413 and rows(client) == []


def test_a_file_over_the_size_limit_is_413(make_client: AppFactory) -> None:
    with make_client(max_upload_bytes=256 * 1024) as c:
        member = sign_up(c)

        r = post_image(c, member, b"\xff\xd8" + b"\0" * (400 * 1024))

        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"


def test_a_streamed_body_over_the_limit_is_413_without_content_length(make_client: AppFactory) -> None:
    with make_client(max_upload_bytes=64 * 1024) as c:
        member = sign_up(c)
        boundary = "meiji-boundary"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
                "Content-Type: image/jpeg\r\n\r\n").encode()

        def body() -> Iterator[bytes]:
            yield head
            for _ in range(40):
                yield b"\0" * 16 * 1024
            yield f"\r\n--{boundary}--\r\n".encode()

        r = c.post("/v1/media", content=body(),
                   headers={**member.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})

        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        assert rows(c) == []


def test_a_declared_oversize_body_is_refused_before_any_of_it_is_read(client: TestClient) -> None:
    member = sign_up(client)
    app = client.app
    sent: list[dict[str, object]] = []
    read: list[bool] = []

    async def receive() -> dict[str, object]:
        read.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/media", "raw_path": b"/v1/media", "query_string": b"",
             "root_path": "", "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
             "http_version": "1.1", "app": app,
             "headers": [(b"content-type", b"multipart/form-data; boundary=x"),
                         (b"content-length", str(21 * 1024 * 1024).encode()),
                         (b"authorization", member.headers["Authorization"].encode())]}
    call(client, app, scope, receive, send)

    assert sent[0]["status"] == 413
    assert not read


def test_uploading_needs_an_account_except_for_evidence(client: TestClient) -> None:
    anonymous_post = post_image(client, None, jpeg())
    anonymous_evidence = post_image(client, None, jpeg(), purpose="evidence")

    assert anonymous_post.status_code == 401
    assert anonymous_evidence.status_code == 201
    assert anonymous_evidence.json()["purpose"] == "evidence"


def test_anonymous_evidence_uploads_are_rate_limited_per_address(make_client: AppFactory) -> None:
    from kernel.settings import DEFAULT_RATE_LIMITS, RateLimit

    limits = {**DEFAULT_RATE_LIMITS, "upload": RateLimit(2, 3600)}
    with make_client(rate_limits=limits) as c:
        answers = [post_image(c, None, jpeg(), purpose="evidence").status_code for _ in range(3)]

    assert answers[:2] == [201, 201] and answers[2] == 429


def test_malformed_requests_are_4xx_problems(client: TestClient) -> None:
    member = sign_up(client)

    as_json = client.post("/v1/media", json={"file": "x"}, headers=member.headers)
    no_file = client.post("/v1/media", data={"purpose": "post"}, files={"other": ("a.jpg", jpeg())},
                          headers=member.headers)
    bad_purpose = post_image(client, member, jpeg(), purpose="banner")
    empty = post_image(client, member, b"")

    assert as_json.status_code == 415
    assert no_file.status_code == 422 and no_file.json()["errors"][0]["field"] == "file"
    assert bad_purpose.status_code == 422 and bad_purpose.json()["errors"][0]["field"] == "purpose"
    assert empty.status_code == 422
    assert rows(client) == []


def test_daily_upload_count_quota_answers_429_with_retry_after(make_client: AppFactory, database_url: str) -> None:
    from media.models import UploadQuota

    with make_client(uploads_per_day=2, database_url=database_url) as c:
        member, other = sign_up(c), sign_up(c)

        # A file refused as corrupt is not an upload: it counts nothing against the quota.
        corrupt = post_image(c, member, jpeg()[:300])
        answers = [post_image(c, member, jpeg(color=(i, 100, 100))) for i in range(3)]
        others = post_image(c, other, jpeg())

        assert corrupt.status_code == 422
        assert [a.status_code for a in answers] == [201, 201, 429]
        assert int(answers[2].headers["retry-after"]) > 0
        assert others.status_code == 201

        async def counted() -> list[tuple[int, int, int]]:
            return [(q.owner_id, q.count, q.bytes) for q in await UploadQuota.all().order_by("owner_id")]

        assert call(c, counted) == [(int(member.id), 2, sum(len(jpeg(color=(i, 100, 100))) for i in range(2))),
                                    (int(other.id), 1, len(jpeg()))]


def test_a_members_first_uploads_of_the_day_sent_at_once_are_each_counted(make_client: AppFactory,
                                                                         database_url: str) -> None:
    import anyio

    from media.models import UploadQuota
    from tests.media.helpers import service

    with make_client(database_url=database_url) as c:
        member = sign_up(c)
        media = service(c)

        async def at_once() -> list[int]:
            async def one(i: int) -> None:
                file = io.BytesIO(jpeg(color=(i * 40, 60, 60)))
                _, size = await media.fingerprint(file)
                await media.upload(file, owner_id=int(member.id), purpose="post", size=size)

            async with anyio.create_task_group() as group:
                for i in range(4):
                    group.start_soon(one, i)
            return [q.count for q in await UploadQuota.filter(owner_id=int(member.id))]

        # One row for the day, whichever upload wrote it first, and every upload in it.
        assert call(c, at_once) == [4]
        assert len(rows(c)) == 4


def test_uploads_sent_at_once_stop_at_the_daily_quota(make_client: AppFactory, database_url: str) -> None:
    import anyio

    from kernel.web.problems import Problem
    from media.models import UploadQuota
    from tests.media.helpers import service

    with make_client(uploads_per_day=3, database_url=database_url) as c:
        member = sign_up(c)
        media = service(c)

        async def at_once() -> tuple[list[int], list[int]]:
            answers: list[int] = []

            async def one(i: int) -> None:
                file = io.BytesIO(jpeg(color=(i * 25, 90, 60)))
                _, size = await media.fingerprint(file)
                try:
                    await media.upload(file, owner_id=int(member.id), purpose="post", size=size)
                    answers.append(201)
                except Problem as exc:
                    answers.append(exc.status)

            async with anyio.create_task_group() as group:
                for i in range(8):
                    group.start_soon(one, i)
            return sorted(answers), [q.count for q in await UploadQuota.filter(owner_id=int(member.id))]

        # Every one passed the early check before any was counted; three are kept, and the others
        # leave nothing behind, row or object.
        answers, counted = call(c, at_once)
        assert answers == [201] * 3 + [429] * 5 and counted == [3]
        assert len(rows(c)) == 3 and len(stored_keys(c)) == 3 * len(rows(c)[0].variants)


def test_an_upload_whose_count_fails_is_not_recorded(make_client: AppFactory) -> None:
    from media import services as media_services

    with make_client() as c, pytest.MonkeyPatch.context() as patch:
        member = sign_up(c)
        # The quota's statement fails (a broken database, a lock that never frees): the upload and
        # its count are one write, so nothing of the upload stays, row or object.
        patch.setattr(media_services, "_COUNT", "UPDATE media_upload_quota SET no_such_column = 1")
        failed = post_image(c, member, jpeg())
        assert failed.status_code >= 500
        assert rows(c) == [] and stored_keys(c) == set()
        patch.undo()

        assert post_image(c, member, jpeg()).status_code == 201
        assert len(rows(c)) == 1


def test_daily_byte_quota_answers_429(make_client: AppFactory) -> None:
    photo = jpeg(1200, 900)
    with make_client(upload_bytes_per_day=len(photo) * 2 + 10) as c:
        member = sign_up(c)

        answers = [post_image(c, member, photo).status_code for _ in range(3)]

    assert answers == [201, 201, 429]


def test_the_same_idempotency_key_and_file_answer_the_first_upload(client: TestClient) -> None:
    member = sign_up(client)
    photo = jpeg()

    first = post_image(client, member, photo, headers={"Idempotency-Key": "photo-0001"})
    again = post_image(client, member, photo, headers={"Idempotency-Key": "photo-0001"})
    other = post_image(client, member, jpeg(color=(1, 2, 3)), headers={"Idempotency-Key": "photo-0001"})

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 422
    assert len(rows(client)) == 1


def test_an_unreachable_s3_answers_503_and_stores_nothing(make_client: AppFactory,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.media.conftest import MOTO_KEY, use_credentials
    from tests.servers import free_port

    use_credentials(monkeypatch, MOTO_KEY)
    dead = f"http://127.0.0.1:{free_port()}"
    with make_client(storage_url=f"s3://meiji-media?endpoint={dead}&region=us-east-1") as c:
        member = sign_up(c)

        r = post_image(c, member, jpeg())
        ready = c.get("/readyz")

        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        assert rows(c) == []
        assert ready.status_code == 503 and ready.json()["checks"]["storage"] == "unavailable"


def test_a_burst_of_uploads_queues_behind_the_image_workers(make_client: AppFactory,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    import anyio

    from media import images
    from tests.media.helpers import service

    active, peak = [0], [0]
    lock = threading.Lock()
    real = images.render

    def counting(file: io.BufferedIOBase, max_pixels: int) -> images.Rendered:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            time.sleep(0.02)  # long enough for the others to pile up if nothing held them back
            return real(file, max_pixels)  # type: ignore[arg-type]
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(images, "render", counting)
    with make_client(image_workers=2) as c:
        member = sign_up(c)
        media = service(c)

        async def burst() -> list[str]:
            ids: list[str] = []

            async def one(i: int) -> None:
                file = io.BytesIO(jpeg(800, 600, color=(i * 20, 90, 90)))
                _, size = await media.fingerprint(file)
                ids.append((await media.upload(file, owner_id=int(member.id), purpose="post",
                                               size=size)).id)

            async with anyio.create_task_group() as group:
                for i in range(8):
                    group.start_soon(one, i)
            return ids

        ids = call(c, burst)

    assert len(set(ids)) == 8
    assert peak[0] == 2


def test_a_heic_from_an_iphone_is_accepted(client: TestClient) -> None:
    member = sign_up(client)
    exif = Image.Exif()
    exif[0x0112] = 6
    heic = io.BytesIO()
    Image.new("RGB", (800, 600), (180, 140, 120)).save(heic, "HEIF", quality=70, exif=exif.tobytes())

    r = post_image(client, member, heic.getvalue(), filename="IMG_0001.HEIC", content_type="image/heic")

    assert r.status_code == 201, r.text
    assert (r.json()["width"], r.json()["height"]) == (600, 800)


def test_a_suspended_member_cannot_upload(client: TestClient) -> None:
    from meiji.accounts import services as accounts

    member = sign_up(client)
    call(client, accounts.set_suspended, int(member.id), True)

    r = post_image(client, member, jpeg())

    assert r.status_code == 403 and rows(client) == []
