"""A minimal HTTP/1.1 server on 127.0.0.1 that answers every request with a fixed Telnyx SIM card.

Run as `python bench/stub.py [LATENCY_MS]`: prints its port on stdout, serves until stdin closes. Raw
asyncio keeps its own cost per request small and the same for every client measured against it;
LATENCY_MS (default 0) delays each answer, as the network and the real API would.
"""

from __future__ import annotations

import asyncio
import json
import sys

LATENCY = float(sys.argv[1]) / 1000 if len(sys.argv) > 1 else 0.0

SIM_CARD_ID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"
SIM_CARD = {
    "id": SIM_CARD_ID, "record_type": "sim_card", "iccid": "89310410106543789301", "imsi": "081932214823362973",
    "msisdn": "+13109976224", "type": "physical", "status": {"value": "enabled", "reason": "Enabled by user"},
    "sim_card_group_id": "47a1c2b0-cc7b-4ab1-bb98-b33fb0fc61b9", "tags": ["personal", "customers"],
    "authorized_imeis": ["106516771852751"], "current_imei": "457032284023794", "voice_enabled": True,
    "data_limit": {"amount": "2048.1", "unit": "MB"},
    "current_billing_period_consumed_data": {"amount": "2049.0", "unit": "MB"},
    "live_data_session": "connected", "ipv4": "192.168.0.0", "ipv6": "2001:cdba:0000:0000:0000:0000:3257:9652",
    "actions_in_progress": False, "current_mcc": "410", "current_mnc": "260",
    "created_at": "2018-02-02T22:25:27.521Z", "updated_at": "2018-02-02T22:25:27.521Z",
}
BODY = json.dumps({"data": SIM_CARD}).encode()
RESPONSE = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: bench\r\n"
            b"content-length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            if LATENCY:
                await asyncio.sleep(LATENCY)
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        pass  # the client hung up, or the stub is stopping
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # serve until the parent closes our stdin
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
