"""Accounts over HTTP: ``GET /v1/me`` and ``GET /v1/accounts/{id}`` beside the two floors.

Run: ``.venv/bin/python bench/foundation.py [--seconds 5]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import bench_env, get_json, load, measure_floors, post_json, report, serve


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
        ours: dict[tuple[str, int], dict[str, float]] = {}
        for c in connections:
            ours[("GET /v1/me", c)] = load(base + "/v1/me", c, args.seconds, headers=auth)
            ours[("GET /v1/accounts/{id}", c)] = load(f"{base}/v1/accounts/{account['id']}", c, args.seconds)
    floor = measure_floors(data, connections, args.seconds)

    report(ours, floor, connections)

if __name__ == "__main__":
    main()
