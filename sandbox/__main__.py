"""`python -m telnyx_iot_mcp.sandbox`: serve the sandbox over HTTP."""

from __future__ import annotations

import argparse
import os

from .app import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m telnyx_iot_mcp.sandbox",
                                     description="Offline Telnyx IoT API sandbox over HTTP.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8780)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sim-count", type=int, default=48)
    parser.add_argument("--state", metavar="PATH", help="SQLite file that keeps state")
    parser.add_argument("--action-delay", type=float, default=1.0,
                        help="seconds until SIM and group actions complete")
    parser.add_argument("--rate-limit", type=int, metavar="N",
                        help="answer 429 (as Telnyx does) beyond N requests per --rate-window")
    parser.add_argument("--rate-window", type=float, default=60.0, metavar="SECONDS")
    args = parser.parse_args(argv)
    serve(args.host, args.port, seed=args.seed, sim_count=args.sim_count,
          state_path=args.state, action_delay=args.action_delay,
          rate_limit=args.rate_limit, rate_window=args.rate_window,
          # An API key, if wanted, comes from the environment, never the command line.
          api_key=os.environ.get("TELNYX_SANDBOX_API_KEY") or None)


if __name__ == "__main__":
    main()
