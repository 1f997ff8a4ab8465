"""What the quick look for secrets in an answer costs: `holds_secret` on a page of 250 SIM cards without a
secret in it, against parsing that page, and against searching for every run of 8 characters of the key.

Every answer that passes this look is handed on as parsed; one that fails it is masked string by string.
Prints milliseconds per page and the ratios.

    .venv/bin/python bench/masking.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import json
import timeit
import uuid

from telnyx_iot_mcp.tools import redact

KEY = "KEY0195C4E3A55DF8D9D0A08C2B8E0C5F4B_Qm7rT2vXk9LpZs4Wn8Yc"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    redact.register_secret(KEY)
    page = json.dumps({"data": [{"id": str(uuid.uuid4()), "iccid": f"893104101065437{n:05d}", "tags": ["fleet"],
                                 "status": {"value": "enabled"}, "current_billing_period_consumed_data":
                                 {"amount": f"{n * 1.7:.1f}", "unit": "MB"}} for n in range(250)]}).encode()
    runs = {KEY[i:i + redact.FRAGMENT].encode() for i in range(len(KEY) - redact.FRAGMENT + 1)}

    def per_page(work) -> float:
        return min(timeit.repeat(work, number=args.repeat, repeat=3)) / args.repeat * 1000

    assert not redact.holds_secret(page)
    look = per_page(lambda: redact.holds_secret(page))
    parse = per_page(lambda: json.loads(page))
    every_run = per_page(lambda: any(run in page for run in runs))
    print(f"page of 250 SIM cards: {len(page) / 1024:.0f} KB")
    print(f"holds_secret        {look:.3f} ms")
    print(f"json.loads          {parse:.3f} ms   look/parse {look / parse:.2f}x")
    print(f"every 8-run search  {every_run:.3f} ms   look/every-run {look / every_run:.2f}x")


if __name__ == "__main__":
    main()
