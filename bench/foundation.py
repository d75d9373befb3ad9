"""Accounts over HTTP: ``GET /v1/me`` and ``GET /v1/accounts/{id}`` beside the floors, in interleaved rounds.

Run: ``.venv/bin/python bench/foundation.py [--seconds 5]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import Measure, bench_env, get_json, interleaved, load, post_json, report, serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="meiji-bench-foundation-"))
    connections = (8, 64)
    with serve(env=bench_env(data)) as (base, _):
        account = post_json(base + "/v1/accounts", {"handle": "压测用户", "password": "bench-password-1",
                                                    "birth_date": "1992-04-01"})
        token = post_json(base + "/v1/sessions", {"handle": "压测用户", "password": "bench-password-1"})["token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert get_json(base + "/v1/me", auth)["handle"] == "压测用户"
        ours: dict[str, Measure] = {
            "GET /v1/me": lambda c, s: load(base + "/v1/me", c, s, headers=auth),
            "GET /v1/accounts/{id}": lambda c, s: load(f"{base}/v1/accounts/{account['id']}", c, s),
        }
        runs = interleaved(data, ours, connections, args.seconds, args.rounds)
    report(runs)


if __name__ == "__main__":
    main()
