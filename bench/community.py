"""Questions, answers, votes, likes, comments and the encyclopedia over HTTP, beside the floors.

Run: ``.venv/bin/python bench/community.py [--seconds 5]``. Prints a Markdown table and ratios: each
endpoint's throughput against one Tortoise row read measured in the same run. Each list is also
measured from a second server on the same data that computes every answer (", computed"), where the
first gives a page asked again with nothing written since from its kept answer (``MEIJI_LISTS_KEPT``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import urllib.request
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
    serve_computing,
)

CORPUS = chinese_reviews("reviews_pos.txt")
PASSWORD = "bench-password-1"


def sign_in(base: str, handle: str) -> dict[str, str]:
    token = post_json(base + "/v1/sessions", {"handle": handle, "password": PASSWORD})["token"]
    return {"Authorization": f"Bearer {token}"}


def put_json(url: str, payload: object, headers: dict[str, str]) -> object:
    import json

    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="PUT",
                                     headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="meiji-bench-community-"))
    env = bench_env(data)
    connections = (8, 64)
    subprocess.run([PYTHON, "-m", "meiji", "accounts", "create", "百科编辑", "--role", "editor",
                    "--password", PASSWORD], cwd=ROOT, env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)
    texts = [t for t in CORPUS.read_text(encoding="utf-8").splitlines() if 20 < len(t) < 400][:300]
    ours: dict[str, Measure] = {}
    with serve(env=env) as (base, _), serve_computing(env) as (computed, _):
        for handle in ("提问者", "回答者", "读者"):
            post_json(base + "/v1/accounts", {"handle": handle, "password": PASSWORD, "birth_date": "1992-04-01"})
        asker, helper, reader = sign_in(base, "提问者"), sign_in(base, "回答者"), sign_in(base, "读者")
        editor = sign_in(base, "百科编辑")
        questions = [post_json(base + "/v1/questions", {"title": f"第{i}个问题：热玛吉多久见效？", "body": texts[i],
                                                         "anonymous": i % 3 == 0}, asker)["id"] for i in range(100)]
        first = questions[0]
        answers = [post_json(base + f"/v1/questions/{first}/answers", {"body": texts[100 + i],
                                                                       "anonymous": i % 2 == 0}, helper)["id"]
                   for i in range(40)]
        for i in range(40):
            post_json(base + "/v1/comments", {"target_type": "answer", "target_id": answers[0], "body": texts[200 + i],
                                              "anonymous": i % 4 == 0}, reader)
        body = "<p>" + "</p><p>".join(texts[251:260]) + "</p>"
        put_json(base + "/v1/wiki/thermage", {"title": "热玛吉", "aliases": ["Thermage", "射频紧肤"],
                                               "summary": texts[250], "body": body,
                                               "comment": "基准测试"}, editor)
        assert len(get_json(base + "/v1/questions?limit=20")["items"]) == 20
        ours = {
            "GET /v1/questions (20 items)": lambda c, s: load(base + "/v1/questions?limit=20", c, s),
            "GET /v1/questions/{id}/answers (20 items)": lambda c, s: load(
                base + f"/v1/questions/{first}/answers?limit=20", c, s, headers=reader),
            "GET /v1/comments (20 items)": lambda c, s: load(
                base + f"/v1/comments?target_type=answer&target_id={answers[0]}&limit=20", c, s),
            # The same lists computed for every request, as they are while members write.
            "GET /v1/questions (20 items), computed": lambda c, s: load(computed + "/v1/questions?limit=20", c, s),
            "GET /v1/questions/{id}/answers (20 items), computed": lambda c, s: load(
                computed + f"/v1/questions/{first}/answers?limit=20", c, s, headers=reader),
            "GET /v1/comments (20 items), computed": lambda c, s: load(
                computed + f"/v1/comments?target_type=answer&target_id={answers[0]}&limit=20", c, s),
            "GET /v1/wiki/{slug}": lambda c, s: load(base + "/v1/wiki/thermage", c, s),
            "PUT /v1/answers/{id}/vote (same vote again)": lambda c, s: load(
                base + f"/v1/answers/{answers[1]}/vote", c, s, "PUT", {"value": 1}, reader),
            "PUT /v1/likes/question/{id} (liked already)": lambda c, s: load(
                base + f"/v1/likes/question/{first}", c, s, "PUT", None, reader),
        }
        runs = interleaved(data, ours, connections, args.seconds, args.rounds)
        liked = get_json(base + f"/v1/questions/{first}")["like_count"]
        score = get_json(base + f"/v1/answers/{answers[1]}")["score"]
        assert liked == 1 and score == 1, (liked, score)

    report(runs)
    print(f"after the load: like_count {liked}, score {score} (repeated likes and votes counted once)")


if __name__ == "__main__":
    main()
