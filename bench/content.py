"""Diaries over HTTP beside the two floors: a diary with 30 entries, the diary list, entry creation.

Run: ``.venv/bin/python bench/content.py [--seconds 5]``. One uvicorn worker (uvloop, httptools) on
the embedded default (SQLite), wrk in another process. Goals: diary detail and list at least 50% of
the single-row floor with p99 under 20 ms at 8 connections; at least 300 entry creations/s (search
outbox included) with p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    PYTHON,
    ROOT,
    Measure,
    bench_env,
    chinese_reviews,
    get_json,
    interleaved,
    load,
    post_json,
    report,
    serve,
)

CORPUS = chinese_reviews("reviews_pos.txt")
PASSWORD = "bench-password-1"
SPREAD = """
request = function()
  return wrk.format(nil, "/v1/diaries/" .. math.random(%d, %d) .. "/entries")
end
"""


def sign_in(base: str, handle: str) -> dict[str, str]:
    token = post_json(base + "/v1/sessions", {"handle": handle, "password": PASSWORD})["token"]
    return {"Authorization": f"Bearer {token}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="meiji-bench-content-"))
    env = bench_env(data)
    connections = (8, 64)
    subprocess.run([PYTHON, "-m", "meiji", "accounts", "create", "资料编辑", "--role", "editor",
                    "--password", PASSWORD], cwd=ROOT, env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)
    texts = [t for t in CORPUS.read_text(encoding="utf-8").splitlines() if 20 < len(t) < 300 and "<" not in t]
    ours: dict[str, Measure] = {}
    with serve(env=env) as (base, _):
        for handle in ("日记作者", "读者"):
            post_json(base + "/v1/accounts", {"handle": handle, "password": PASSWORD, "birth_date": "1995-06-01"})
        author, reader, editor = sign_in(base, "日记作者"), sign_in(base, "读者"), sign_in(base, "资料编辑")
        post_json(base + "/v1/procedures", {"slug": "shuang-yan-pi", "name": "双眼皮",
                                            "aliases": ["重睑术", "割双眼皮"]}, editor)
        clinic = post_json(base + "/v1/clinics", {"name": "上海华美医疗美容医院", "city": "上海"}, editor)["id"]
        diaries = []
        for i in range(60):
            diaries.append(post_json(base + "/v1/diaries", {
                "title": f"双眼皮恢复日记 第{i}本", "procedure": "shuang-yan-pi", "operated_on": "2026-09-01",
                "clinic_id": clinic, "anonymous": i % 3 == 0}, author)["id"])
        big = diaries[-1]
        for day in range(30):
            post_json(base + f"/v1/diaries/{big}/entries", {
                "body": f"<p>{texts[day]}</p>", "happened_on": f"2026-09-{day + 1:02d}",
                "scores": {"swelling": 5, "pain": 2, "satisfaction": 8}}, author)
        assert get_json(base + f"/v1/diaries/{big}")["entry_count"] == 30
        assert len(get_json(base + "/v1/diaries?limit=20")["items"]) == 20
        write_target = diaries[0]
        # Warm up (first calls, the indexer's round over the set-up) before anything is measured.
        time.sleep(2)
        load(base + f"/v1/diaries/{big}", 8, 1, headers=reader)
        ours = {
            "GET /v1/diaries/{id} (30 entries)": lambda c, s: load(base + f"/v1/diaries/{big}", c, s,
                                                                   headers=reader),
            "GET /v1/diaries/{id}/entries (20 of 30)": lambda c, s: load(
                base + f"/v1/diaries/{big}/entries?limit=20", c, s),
            "GET /v1/diaries (20 items)": lambda c, s: load(base + "/v1/diaries?limit=20", c, s),
            "GET /v1/diaries?sort=popular (20 items)": lambda c, s: load(base + "/v1/diaries?limit=20&sort=popular",
                                                                         c, s),
            # Entries go to the author's 60 diaries at random, as many members writing at once would.
            "POST /v1/diaries/{id}/entries": lambda c, s: load(
                base + f"/v1/diaries/{write_target}/entries", c, s, "POST",
                {"body": f"<p>{texts[40]}</p><p>{texts[41]}</p>", "happened_on": "2026-10-01"}, author,
                lua=SPREAD % (int(diaries[0]), int(diaries[-2]))),
        }
        runs = interleaved(data, ours, connections, args.seconds, args.rounds)
        entries = sum(get_json(base + f"/v1/diaries/{i}")["entry_count"] for i in diaries[:-1])

    report(runs)
    print(f"entries created under load (with their outbox rows): {entries}")


if __name__ == "__main__":
    main()
