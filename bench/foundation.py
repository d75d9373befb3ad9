"""Accounts over HTTP: ``GET /v1/me`` and ``GET /v1/accounts/{id}`` beside the two floors.

Run: ``.venv/bin/python bench/foundation.py [--seconds 5]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import TABLE_HEAD, bench_env, get_json, load, measure_floors, post_json, row, serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="meiji-bench-foundation-"))
    connections = (8, 64)
    with serve(env=bench_env(data)) as (base, _):
        account = post_json(base + "/v1/accounts", {"handle": "压测用户", "password": "bench-password-1",
                                                    "birth_date": "1992-04-01"})
        token = post_json(base + "/v1/sessions", {"handle": "压测用户", "password": "bench-password-1"})["token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert get_json(base + "/v1/me", auth)["handle"] == "压测用户"
        ours = {}
        for c in connections:
            ours[("GET /v1/me", c)] = load(base + "/v1/me", c, args.seconds, headers=auth)
            ours[("GET /v1/accounts/{id}", c)] = load(f"{base}/v1/accounts/{account['id']}", c, args.seconds)
    floor = measure_floors(data, connections, args.seconds)

    print(TABLE_HEAD)
    for c in connections:
        print(row(f"floor: bare Starlette JSON, {c} conn", floor["bare"][c]))
        print(row(f"floor: one Tortoise row read, {c} conn", floor["orm"][c]))
        for name in ("GET /v1/me", "GET /v1/accounts/{id}"):
            print(row(f"{name}, {c} conn (vs ORM floor)", ours[(name, c)], floor["orm"][c]))
    print()
    for c in connections:
        for name in ("GET /v1/me", "GET /v1/accounts/{id}"):
            r = ours[(name, c)]
            print(f"{name} @{c}: {r['rps'] / floor['bare'][c]['rps']:.0%} of bare Starlette, "
                  f"{r['rps'] / floor['orm'][c]['rps']:.0%} of one Tortoise read")


if __name__ == "__main__":
    main()
