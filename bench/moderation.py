"""Moderation over HTTP (the queue, reports, notices, notifications) beside the two floors, and the
screener's throughput on real Chinese reviews beside a plain word search.

Run: ``.venv/bin/python bench/moderation.py [--seconds 5]``. Prints a Markdown table and ratios.
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

CORPUS = chinese_reviews("reviews_neg.txt")
PASSWORD = "bench-password-1"
QUESTIONS = 200


def sign_in(base: str, handle: str) -> dict[str, str]:
    token = post_json(base + "/v1/sessions", {"handle": handle, "password": PASSWORD})["token"]
    return {"Authorization": f"Bearer {token}"}


def notice(target_id: str) -> dict[str, object]:
    return {"notice_type": "copyright",
            "claimant": {"name": "林晓雯", "email": "lin@example.cn", "phone": "13912345678",
                         "address": "上海市徐汇区漕溪北路88号"},
            "work": {"description": "原创术后对比照", "proof_media_ids": []},
            "targets": [{"type": "question", "id": target_id}],
            "description": "未经许可使用本人照片", "good_faith": True, "accurate": True, "signature": "林晓雯"}


def screener_figures() -> tuple[float, float, int]:
    """chars/s of the screener and of a plain ad-word search over the same texts; how many it flags."""
    from kernel.settings import Settings
    from moderation.services.reports import findings

    texts = CORPUS.read_text(encoding="utf-8").splitlines()
    words = Settings().ad_words
    chars = sum(len(t) for t in texts)
    start = time.perf_counter()
    flagged = sum(1 for t in texts if findings(t, words))
    ours = chars / (time.perf_counter() - start)
    start = time.perf_counter()
    sum(1 for t in texts if any(w in t.lower() for w in words))
    baseline = chars / (time.perf_counter() - start)
    return ours, baseline, flagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="meiji-bench-moderation-"))
    env = bench_env(data)
    connections = (8, 64)
    subprocess.run([PYTHON, "-m", "meiji", "accounts", "create", "审核员", "--role", "moderator",
                    "--password", PASSWORD], cwd=ROOT, env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)
    ours: dict[str, Measure] = {}
    with serve(env=env) as (base, _):
        for handle in ("作者", "举报人"):
            post_json(base + "/v1/accounts", {"handle": handle, "password": PASSWORD, "birth_date": "1992-04-01"})
        author, reporter, moderator = sign_in(base, "作者"), sign_in(base, "举报人"), sign_in(base, "审核员")
        ids = [post_json(base + "/v1/questions", {"title": f"第{i}个问题：玻尿酸多久会吸收？",
                                                  "body": "<p>打了一支玻尿酸，想知道能维持多久。</p>",
                                                  "anonymous": False}, author)["id"] for i in range(QUESTIONS)]
        for question in ids:
            post_json(base + "/v1/reports", {"target_type": "question", "target_id": question, "reason": "spam"},
                      reporter)
        first = get_json(base + "/v1/moderation/queue?limit=20", moderator)["items"]
        assert len(first) == 20
        # The page carries what a moderator decides with: photos, history, the author's strikes, notes.
        post_json(base + f"/v1/moderation/queue/{first[0]['id']}/notes", {"body": "作者近期多次发同类问题"},
                  moderator)
        # One upheld report: every item of the page shows that strike of the author's.
        post_json(base + f"/v1/moderation/queue/{first[-1]['id']}/claim", {}, moderator)
        post_json(base + f"/v1/moderation/queue/{first[-1]['id']}/decisions", {"action": "remove", "reason": "广告"},
                  moderator)
        shown = get_json(base + "/v1/moderation/queue?limit=20", moderator)["items"][0]
        assert {"media", "author"} <= set(shown["target"]) and shown["notes"] and shown["active_strikes"] == 1
        assert {"history", "author_strikes"} <= set(shown)
        repeat = {"target_type": "question", "target_id": ids[0], "reason": "spam"}
        ours = {
            "GET /v1/moderation/queue (20 items)": lambda c, s: load(base + "/v1/moderation/queue?limit=20", c, s,
                                                                     headers=moderator),
            "POST /v1/reports (repeat: 200)": lambda c, s: load(base + "/v1/reports", c, s, "POST", repeat,
                                                                reporter),
            "GET /v1/me/notifications": lambda c, s: load(base + "/v1/me/notifications", c, s, headers=author),
            "POST /v1/notices (new case)": lambda c, s: load(base + "/v1/notices", c, s, "POST", notice(ids[1])),
        }
        runs = interleaved(data, ours, connections, args.seconds, args.rounds)
    screened, baseline, flagged = screener_figures()

    report(runs)
    print(f"screener: {screened:,.0f} chars/s over {CORPUS.name} (plain ad-word search: {baseline:,.0f} chars/s, "
          f"{screened / baseline:.0%} of it); flagged {flagged} reviews")


if __name__ == "__main__":
    main()
