"""A 12-megapixel phone photo through the whole upload pipeline over HTTP, against Pillow alone.

Prints uploads/s with 4 clients and the server's peak RSS, and beside it, measured in the same run,
the floor: Pillow alone producing the same three WebP variants from the same file in a loop (with
as many threads as the server has image workers, and with one).

    .venv/bin/python bench/media.py [--seconds 15]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import bench_env, post_json, serve
from media import images

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
CLIENTS = 4
WORKERS = 2


def phone_photo() -> bytes:
    """A 4032x3024 JPEG at quality 92 with a phone's EXIF: orientation 6 and a GPS position."""
    sample = CORPORA / "images" / "pillow" / "junk_jpeg_header.jpg"
    # The shared corpus's photo when present, else a drawn gradient: the pipeline's cost is the same.
    base = Image.open(sample).convert("RGB") if sample.exists() else Image.linear_gradient("L").convert("RGB")
    photo = base.resize((4032, 3024), Image.Resampling.BICUBIC).filter(ImageFilter.DETAIL)
    grain = Image.effect_noise((4032, 3024), 10).convert("RGB")
    photo = Image.blend(photo, grain, 0.05)
    exif = Image.Exif()
    exif[0x010F] = "Phone"
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)})
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92, exif=exif, subsampling=2)
    return out.getvalue()


def pillow_alone(data: bytes) -> None:
    """The same three variants with nothing around them: open, draft, decode, rotate, resize, encode."""
    with Image.open(io.BytesIO(data)) as im:
        orientation = im.getexif().get(0x0112, 1)
        longest = max(images.VARIANTS.values())
        scale = longest / max(im.size)
        im.draft("RGB", (round(im.size[0] * scale), round(im.size[1] * scale)))
        im.load()
        upright = im.transpose(Image.Transpose.ROTATE_270) if orientation == 6 else im.copy()
    upright.info.clear()
    current = upright
    for size in sorted(images.VARIANTS.values(), reverse=True):
        factor = size / max(4032, 3024)
        target = (round(3024 * factor), round(4032 * factor))
        current = current.resize(target, images.RESAMPLE, reducing_gap=2.0)
        current.save(io.BytesIO(), "WEBP", quality=images.WEBP_QUALITY, method=images.WEBP_METHOD)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (load on the machine does not inflate it much)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rate(work: object, threads: int, seconds: float) -> float:
    done = [0] * threads
    stop = time.monotonic() + seconds

    def loop(i: int) -> None:
        while time.monotonic() < stop:
            work()  # type: ignore[operator]
            done[i] += 1

    started = time.monotonic()
    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(done) / (time.monotonic() - started)


def multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "meiji-bench-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\npost\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"IMG_0001.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def http_rate(base: str, token: str, data: bytes, seconds: float) -> tuple[float, int, list[float]]:
    body, content_type = multipart(data)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    counts = [0] * CLIENTS
    failures = [0]
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        while time.monotonic() < stop:
            start = time.monotonic()
            request = urllib.request.Request(base + "/v1/media", data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:
                    answer.read()
                    ok = answer.status == 201
            except OSError:
                ok = False
            if ok:
                counts[i] += 1
                latencies.append(time.monotonic() - start)
            else:
                failures[0] += 1

    started = time.monotonic()
    pool = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.monotonic() - started), failures[0], sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()

    data = phone_photo()
    print(f"photo: 4032x3024 JPEG q92 with EXIF orientation 6 and GPS, {len(data) / 1e6:.1f} MB")

    for _ in range(2):
        pillow_alone(data)
    before = time.process_time()
    runs = 10
    for _ in range(runs):
        pillow_alone(data)
    floor_cpu = (time.process_time() - before) / runs
    floor_one = rate(lambda: pillow_alone(data), 1, args.seconds / 2)
    floor = rate(lambda: pillow_alone(data), WORKERS, args.seconds)
    print(f"floor, Pillow alone (same 3 WebP variants): {floor_one:.1f}/s on 1 thread, "
          f"{floor:.1f}/s on {WORKERS} threads")

    with tempfile.TemporaryDirectory(prefix="meiji-bench-media-") as tmp:
        env = bench_env(Path(tmp), MEIJI_STORAGE_URL=Path(tmp, "media").as_uri(), MEIJI_UPLOADS_PER_DAY="1000000",
                        MEIJI_UPLOAD_BYTES_PER_DAY=str(1 << 40), MEIJI_IMAGE_WORKERS=str(WORKERS),
                        MEIJI_BACKGROUND="false")
        with serve(env=env) as (base, proc):
            started = rss_kb(proc.pid, "VmRSS")
            post_json(base + "/v1/accounts", {"handle": "跑分用户", "password": "bench-password-美记",
                                              "birth_date": "1990-01-01"})
            token = post_json(base + "/v1/sessions", {"handle": "跑分用户", "password": "bench-password-美记"})["token"]
            http_rate(base, token, data, 2)  # warm up
            idle = rss_kb(proc.pid, "VmRSS")
            cpu_before = cpu_seconds(proc.pid)
            uploads, failures, latencies = http_rate(base, token, data, args.seconds)
            server_cpu = (cpu_seconds(proc.pid) - cpu_before) / max(1, round(uploads * args.seconds))
            peak = rss_kb(proc.pid, "VmHWM")
            stored = sum(1 for _ in Path(tmp, "media").rglob("*.webp"))

    p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0.0
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0.0
    print(f"HTTP, POST /v1/media with {CLIENTS} clients, {WORKERS} image workers, local storage: "
          f"{uploads:.1f} uploads/s (p50 {p50:.0f} ms, p99 {p99:.0f} ms), {failures} failed, {stored} objects")
    print(f"server RSS: {started / 1024:.0f} MB at start (every room loaded), {idle / 1024:.0f} MB after "
          f"warm-up, peak {peak / 1024:.0f} MB: the uploads' working set is {(peak - started) / 1024:.0f} MB")
    print(f"ratio HTTP / Pillow alone ({WORKERS} threads): {uploads / floor:.0%}   "
          f"(goal >= 60%); goals: >= 10 uploads/s: {'met' if uploads >= 10 else 'NOT met'}, "
          f"< 200 MB peak RSS: {'met' if peak < 200 * 1024 else 'NOT met'}, "
          f"< 200 MB for the uploads beyond the idle server: {'met' if peak - started < 200 * 1024 else 'NOT met'}")
    print(f"CPU per image: {server_cpu * 1000:.0f} ms in the server per upload (HTTP, multipart, SHA-256, "
          f"pipeline, storage, database) vs {floor_cpu * 1000:.0f} ms for Pillow alone: "
          f"{floor_cpu / server_cpu:.0%} (the ratio the machine's other load disturbs least); "
          f"{WORKERS} idle cores would allow ~{WORKERS / server_cpu:.1f} uploads/s")
    print(f"cores: {os.cpu_count()}, load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
