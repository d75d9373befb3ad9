"""Clients that vanish mid-request, on the embedded default (SQLite, tantivy, local disk): a write or
an upload whose body stops half-way leaves nothing behind, one whose answer is never read is either
whole or absent, nothing stays locked (the next writes succeed), and after the sweeper no object
is left without its upload row."""

from __future__ import annotations

import json
import socket
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest

from tests.faults.live import cli, media_files, member, migrated_data_dir, photo, question, rows, serving

pytestmark = pytest.mark.slow


def vanish(url: str, method: str, path: str, headers: dict[str, str], body: bytes, *, send: int,
           reset: bool = True) -> None:
    """Send the request line, the headers (with the full Content-Length) and ``send`` bytes of the
    body, then close the socket without reading anything, as a phone losing its network does
    (``reset``), or an app closed right after sending (a plain close)."""
    parts = urlsplit(url)
    head = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10) as sock:
        sock.sendall("\r\n".join(head).encode() + body[:send])
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def multipart(data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\npost\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_client_vanishing_mid_write_or_upload_leaves_nothing_half_done_or_locked(tmp_path: Path,
        sqlite_template: Path) -> None:
    data = migrated_data_dir(tmp_path, sqlite_template)
    extra = {"MEIJI_UPLOAD_TTL": "1"}  # the sweeper below treats what is a second old as a day old
    database = data / "meiji.sqlite3"
    with serving(data, extra) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        asker, other = member(server.url, "怕疼的小雨"), member(server.url, "隔壁的阿芳")
        json_headers = {**asker, "Content-Type": "application/json"}
        photo_body, photo_type = multipart(photo(7) + b"\0" * 2_000_000)  # past the 1 MB kept in memory
        upload_headers = {**asker, "Content-Type": photo_type}

        # Bodies that stop half-way: a question, and an upload large enough to be spooled to disk.
        half = json.dumps(question("d0x0001", 1), ensure_ascii=False).encode()
        for n in range(3):
            vanish(server.url, "POST", "/v1/questions", json_headers, half, send=len(half) // 2)
            vanish(server.url, "POST", "/v1/media", upload_headers, photo_body, send=len(photo_body) // 2)
            # Nothing stays locked: another member's write and upload succeed straight away.
            r = http.post("/v1/questions", json=question(f"d1x{n:04d}", n), headers=other)
            assert r.status_code == 201, r.text
            r = http.post("/v1/media", files={"file": ("术前.jpg", photo(n), "image/jpeg")}, headers=other)
            assert r.status_code == 201, r.text

        # Whole bodies whose answers are never read: the write is either whole or absent.
        whole = json.dumps(question("d2x0001", 2), ensure_ascii=False).encode()
        vanish(server.url, "POST", "/v1/questions", json_headers, whole, send=len(whole), reset=False)
        vanish(server.url, "POST", "/v1/media", upload_headers, photo_body, send=len(photo_body), reset=False)
        r = http.post("/v1/questions", json=question("d1x0009", 9), headers=other)
        assert r.status_code == 201, r.text
        # Others see the other member's questions, and nothing of the bodies that stopped half-way.
        listed = [item["title"][:7] for item in http.get("/v1/questions", params={"limit": 50}).json()["items"]]
        assert {"d1x0000", "d1x0001", "d1x0002", "d1x0009"} <= set(listed)
        assert not [title for title in listed if title.startswith("d0x")]
        env = server.env

    # The server is stopped (after finishing what it had started): nothing of the half bodies was stored.
    titles = [t for (t,) in rows(database, "SELECT title FROM content_question")]
    assert not [t for t in titles if t.startswith("d0x")], "a question whose body never arrived was stored"
    assert sorted(t[:7] for t in titles if t.startswith("d1x")) == ["d1x0000", "d1x0001", "d1x0002", "d1x0009"]
    # The question sent whole (uvicorn drops a body whose sender closed before the app read it) is
    # whole if it is there: published, with its search outbox row from the same transaction.
    for question_id, status in rows(database, "SELECT id, status FROM content_question WHERE title LIKE 'd2x%'"):
        assert status == "published"
        assert rows(database, "SELECT count(*) FROM search_outbox WHERE doc_type = 'question' AND doc_id = ?",
                    str(question_id)) != [(0,)]
    # The other member's three uploads, and the one sent whole if it got through; never a half one.
    assert 3 <= len(rows(database, "SELECT id FROM media_upload")) <= 4

    # The sweeper, once the server is stopped: every object has a row and every row its objects.
    time.sleep(1.1)
    cli(env, "media", "sweep")
    root = data / "media"
    uploads = {i: json.loads(v) for i, v in rows(data / "meiji.sqlite3", "SELECT id, variants FROM media_upload")}
    files = media_files(root)
    assert not [p for p in files if p.name.startswith(".")], files
    for path in files:
        assert path.relative_to(root).parts[0] in uploads, path
    for media_id, variants in uploads.items():
        assert all((root / v["key"]).is_file() for v in variants.values()), media_id
