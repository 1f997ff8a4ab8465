"""The seeded demo fleet and the sandbox's fixed reference data.

`build(seed, sim_count)` is a pure function: the same arguments give byte-identical
documents. Times are fixed offsets from FLEET_EPOCH so they do not depend on the clock;
the few documents that evolve with time (a running migration) carry `_t0_offset`, seconds
before the moment the store was seeded.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from .store import Doc, iso

FLEET_EPOCH = 1767225600.0  # 2026-01-01T00:00:00Z
DAY = 86400.0
# The seeded Telnyx-to-Telnyx migration source's credentials: shaped like a Telnyx API key, and made up.
TELNYX_SOURCE_KEY = "KEY0195SANDBOX7C4B1F0E3A5D4E8B_q7WzXn4RtY2vLk8PcJ0sHd"

GROUPS = (
    # name, default, the largest own data limit of its SIMs (MB), city (lat, lon), mcc, mnc
    ("Trackers", True, "10240", ("40.7128", "-74.0060"), "310", "260"),
    ("Berlin Warehouse", False, "20480", ("52.5200", "13.4050"), "262", "01"),
    ("Smart Meters", False, "2048", ("41.8781", "-87.6298"), "310", "410"),
    ("Test Bench", False, "1024", ("37.7749", "-122.4194"), "310", "260"),
)
TAGS = ("cold-chain", "pilot", "firmware-2.1", "rooftop", "eu", "us", "battery", "priority")
GROUP_TAGS = ("tracker", "warehouse", "meter", "lab")

DEVICES = (
    ("Quectel", "BG96", "module", "FreeRTOS"),
    ("Sierra Wireless", "RV55", "router", "ALEOS"),
    ("Teltonika", "FMB920", "tracker", "Teltonika FOTA"),
    ("u-blox", "SARA-R410M", "module", "Zephyr"),
    ("Nordic Semiconductor", "nRF9160", "module", "Zephyr"),
    ("Digi", "IX20", "router", "DAL OS"),
)

REGIONS = {
    "public_ips": (
        ("dc2", "Ashburn, VA"),
        ("ch1", "Chicago, IL"),
        ("sv1", "San Jose, CA"),
        ("ams1", "Amsterdam, NL"),
        ("fra1", "Frankfurt, DE"),
    ),
    "private_wireless_gateways": (
        ("dc2", "Ashburn, VA"),
        ("ams1", "Amsterdam, NL"),
    ),
}

BLOCKLIST_VALUES = {
    "country": (
        ("CU", "Cuba"), ("DE", "Germany"), ("FR", "France"), ("GB", "United Kingdom"),
        ("IR", "Iran"), ("KP", "North Korea"), ("MX", "Mexico"), ("NL", "Netherlands"),
        ("RU", "Russia"), ("SY", "Syria"), ("US", "United States"), ("ZA", "South Africa"),
    ),
    "mcc": (
        ("204", "Netherlands"), ("208", "France"), ("234", "United Kingdom"),
        ("250", "Russia"), ("262", "Germany"), ("310", "United States"),
        ("334", "Mexico"), ("432", "Iran"), ("655", "South Africa"),
    ),
    "plmn": (
        ("20404", "Vodafone NL"), ("20801", "Orange FR"), ("23415", "Vodafone UK"),
        ("25001", "MTS RU"), ("26201", "Telekom DE"), ("26202", "Vodafone DE"),
        ("310260", "T-Mobile US"), ("310410", "AT&T US"), ("334020", "Telcel MX"),
    ),
}

MIGRATION_COVERAGE = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1",
    "ap-southeast-1",
)

SIM_PRICE = "1.00"
SHIPPING = "15.00"
CURRENCY = "USD"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


_DOUBLED = tuple((2 * d - 9 if 2 * d > 9 else 2 * d) for d in range(10))


def _luhn(digits: str) -> str:
    total = sum(_DOUBLED[int(c)] for c in digits[::-2]) + sum(int(c) for c in digits[-2::-2])
    return str((10 - total % 10) % 10)


def _pin_puk(rng: random.Random) -> dict[str, str]:
    return {"pin1": f"{rng.randrange(10**4):04d}", "pin2": f"{rng.randrange(10**4):04d}",
            "puk1": f"{rng.randrange(10**8):08d}", "puk2": f"{rng.randrange(10**8):08d}"}


def _ts(days_before_epoch: float) -> str:
    return iso(FLEET_EPOCH - days_before_epoch * DAY)


def build(seed: int = 7, sim_count: int = 48) -> dict[str, list[Doc]]:
    rng = random.Random(seed)
    out: dict[str, list[Doc]] = {}

    gateways = [
        {"id": _uuid(rng), "name": "Chicago metering PWG", "region_code": "dc2"},
        {"id": _uuid(rng), "name": "Amsterdam PWG", "region_code": "ams1"},
    ]
    extra = random.Random(f"{seed}:extra")  # data added later draws apart, so earlier ids stay as they were
    for n, gateway in enumerate(gateways):
        gateway.update({
            "record_type": "private_wireless_gateway", "network_id": _uuid(extra),
            "ip_range": f"100.64.{n + 1}.0/24", "assigned_resources": [],
            "status": {"value": "provisioned", "error_code": None, "error_description": None},
            "created_at": _ts(300 - 60 * n), "updated_at": _ts(250 - 60 * n),
        })
    out["private_wireless_gateways"] = gateways
    out["traffic_policy_profiles"] = [{
        "id": _uuid(extra), "record_type": "traffic_policy_profile", "type": "whitelist",
        "services": ["mqtt"], "ip_ranges": ["203.0.113.0/24"], "domains": ["telemetry.example.com"],
        "limit_bw_kbps": None, "created_at": _ts(150), "updated_at": _ts(90),
    }]

    blocklist: Doc = {
        "id": _uuid(rng),
        "record_type": "wireless_blocklist",
        "name": "High-risk roaming",
        "type": "country",
        "values": ["CU", "IR", "KP", "SY"],
        "created_at": _ts(200),
        "updated_at": _ts(120),
    }
    out["wireless_blocklists"] = [blocklist]

    groups: list[Doc] = []
    for n, (name, default, _, _, _, _) in enumerate(GROUPS):
        groups.append({
            "id": _uuid(rng),
            "record_type": "sim_card_group",
            "name": name,
            "default": default,
            "data_limit": {},  # set below, from its SIMs
            "private_wireless_gateway_id": gateways[0]["id"] if name == "Smart Meters" else None,
            "wireless_blocklist_id": blocklist["id"] if name == "Berlin Warehouse" else None,
            "created_at": _ts(400 - n * 40),
            "updated_at": _ts(100 - n * 10),
        })
    out["sim_card_groups"] = groups

    out["sim_cards"] = sims = _sims(rng, sim_count, groups)
    for group in groups:  # the limit its SIMs share: room for all of their own limits, in whole GB
        room = sum(int(s["data_limit"]["amount"]) for s in sims if s["sim_card_group_id"] == group["id"])
        group["data_limit"] = {"amount": str(max(1, -(-room // 1024)) * 1024), "unit": "MB"}
    out["mobile_phone_numbers"] = [
        mobile_phone_number(f"{2126210528794641000 + n}", sim, created_at=sim["created_at"])
        for n, sim in enumerate(sims) if sim["voice_enabled"]
    ]

    out["addresses"] = [
        {"id": "1293384261075731461", "first_name": "Ada", "last_name": "Ng",
         "business_name": "Acme Logistics", "street_address": "311 W Superior St",
         "extended_address": "Suite 504", "locality": "Chicago", "administrative_area": "IL",
         "postal_code": "60654", "country_code": "US"},
        {"id": "1293384261075731462", "first_name": "Jonas", "last_name": "Weber",
         "business_name": "Acme Logistics GmbH", "street_address": "Lagerstrasse 12",
         "extended_address": "Halle 3", "locality": "Berlin", "administrative_area": "BE",
         "postal_code": "10117", "country_code": "DE"},
    ]
    orders = []
    for quantity, status, addr, age in ((50, "delivered", 0, 90), (10, "shipped", 1, 6),
                                        (5, "processing", 0, 1)):
        order_id = _uuid(rng)
        orders.append({
            "id": order_id,
            "record_type": "sim_card_order",
            "quantity": quantity,
            "cost": {"amount": order_cost(quantity), "currency": CURRENCY},
            "order_address": dict(out["addresses"][addr]),
            "status": status,
            **({"tracking_url": f"https://tracking.example.com/{order_id[:8]}"}
               if status in ("shipped", "delivered") else {}),
            "created_at": _ts(age),
            "updated_at": _ts(age - 0.5),
        })
    out["sim_card_orders"] = orders

    out["sim_card_data_usage_notifications"] = [{
        "id": _uuid(rng),
        "record_type": "sim_card_data_usage_notification",
        "sim_card_id": sims[0]["id"],
        "threshold": {"amount": "800", "unit": "MB"},
        "created_at": _ts(30),
        "updated_at": _ts(30),
    }] if sims else []

    out["ota_updates"] = []
    for n, status in enumerate(("completed", "in-progress", "failed")):
        if n >= len(sims):
            break
        out["ota_updates"].append({
            "id": _uuid(rng),
            "record_type": "ota_update",
            "sim_card_id": sims[n * 3 % len(sims)]["id"],
            "type": "sim_card_network_preferences",
            "status": status,
            "settings": {"mobile_network_operators_preferences": [
                {"mobile_network_operator_id": _uuid(rng),
                 "mobile_network_operator_name": "T-Mobile US", "priority": 0},
                {"mobile_network_operator_id": _uuid(rng),
                 "mobile_network_operator_name": "AT&T US", "priority": 1},
            ]},
            "created_at": _ts(20 - n * 5),
            "updated_at": _ts(19 - n * 5),
        })

    out["mobile_voice_connections"] = [{
        "id": str(rng.randrange(10**18, 10**19)),
        "record_type": "mobile_voice_connection",
        "connection_name": "Fleet voice",
        "active": True,
        "inbound": {"channel_limit": 10},
        "outbound": {"channel_limit": 10, "outbound_voice_profile_id": "1911630617284445511"},
        "tags": ["fleet"],
        "webhook_api_version": "2",
        "webhook_event_url": "https://example.com/telnyx/voice",
        "webhook_event_failover_url": None,
        "webhook_timeout_secs": 25,
        "created_at": _ts(60),
        "updated_at": _ts(60),
    }]

    source_id = _uuid(rng)
    out["migration_sources"] = [{
        "id": source_id,
        "provider": "aws",
        "bucket_name": "acme-telemetry-archive",
        "source_region": "us-east-1",
        "provider_auth": {"access_key": "AKIASANDBOXEXAMPLE7Q",
                          "secret_access_key": "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"},
    }, {  # a Telnyx-to-Telnyx source: both keys are a Telnyx API key (made up, fixed, not drawn from rng)
        "id": "7c4b1f0e-3a5d-4e8b-9f21-5d6c7a8b9e01",
        "provider": "telnyx",
        "bucket_name": "acme-firmware-eu",
        "source_region": "eu-central-1",
        "provider_auth": {"access_key": TELNYX_SOURCE_KEY, "secret_access_key": TELNYX_SOURCE_KEY},
    }]
    out["migrations"] = [
        {"id": _uuid(rng), "source_id": source_id, "target_bucket_name": "telemetry-2025",
         "target_region": "us-central-1", "refresh": False, "bytes_to_migrate": 48_318_382_080,
         "speed": 104_857_600, "created_at": _ts(45), "_final": "complete"},
        {"id": _uuid(rng), "source_id": source_id, "target_bucket_name": "telemetry-live",
         "target_region": "us-central-1", "refresh": True,
         "bytes_to_migrate": 5_497_558_138_880, "speed": 52_428_800,
         "_t0_offset": 6 * 3600.0},
    ]

    codes = [f"{rng.randrange(10**9, 10**10)}" for _ in range(6)]
    out["registration_codes"] = [
        {"id": code, "status": "registered" if n >= 4 else "available"}
        for n, code in enumerate(codes)
    ]
    return out


def order_cost(quantity: int) -> str:
    return f"{quantity * float(SIM_PRICE) + float(SHIPPING):.2f}"


def _sims(rng: random.Random, count: int, groups: list[Doc]) -> list[Doc]:
    iccid_base = rng.randrange(10**8, 9 * 10**8)
    imsi_base = rng.randrange(10**8, 9 * 10**8)
    msisdn_base = rng.randrange(10**6, 8 * 10**6)
    sims: list[Doc] = []
    for i in range(count):
        slot = i % 12
        g = 0 if slot < 5 else 1 if slot < 8 else 2 if slot < 11 else 3
        _, _, _, (lat, lon), mcc, mnc = GROUPS[g]
        esim = i % 6 == 5
        # a SIM's own limit within its group's, so the seeded statuses agree with both
        limit_mb = min(rng.choice((500, 1024, 2048, 5120)), int(GROUPS[g][2]))
        over = i % 10 == 7
        if over:
            status = "data_limit_exceeded"
        elif i % 12 == 9:
            status = "disabled"
        elif i % 16 == 13:
            status = "standby"
        else:
            status = "enabled"
        used = limit_mb * (rng.uniform(1.0, 1.3) if over else rng.uniform(0.0, 0.9))
        if status in ("disabled", "standby"):
            used *= 0.05
        iccid = f"89310410{iccid_base + i:010d}"
        imei_body = f"35{rng.randrange(10**11, 10**12):012d}"
        imei = imei_body + _luhn(imei_body)
        has_device = i % 8 != 6
        tags = sorted({GROUP_TAGS[g], *rng.sample(TAGS, rng.randint(0, 2))})
        if i % 25 == 10 and has_device:
            other = f"35{rng.randrange(10**11, 10**12):012d}"
            authorized: list[str] | None = [other + _luhn(other)]
        elif i % 5 == 0 and has_device:
            authorized = [imei]
        else:
            authorized = None
        if status == "enabled" and authorized and imei not in authorized:
            status = "unauthorized_imei"
        created = rng.uniform(30, 700)
        connected = status in ("enabled",) and rng.random() < 0.7
        doc: Doc = {
            "id": _uuid(rng),
            "record_type": "sim_card",
            "type": "esim" if esim else "physical",
            "iccid": iccid + _luhn(iccid),
            "imsi": f"{mcc}{mnc}{imsi_base + i:0{15 - len(mcc) - len(mnc)}d}"[:15],
            "msisdn": f"+1312{msisdn_base + i:07d}",
            "eid": f"89049032{rng.randrange(10**23, 10**24):024d}" if esim else None,
            "status": {"value": status, "reason": STATUS_REASONS[status]},
            "sim_card_group_id": groups[g]["id"],
            "tags": tags,
            "authorized_imeis": authorized,
            "current_billing_period_consumed_data": {"amount": f"{used:.2f}", "unit": "MB"},
            "data_limit": {"amount": str(limit_mb), "unit": "MB"},
            "ipv4": f"10.{64 + g}.{i // 250 % 256}.{i % 250 + 2}",
            "ipv6": f"2001:db8:{g + 1:x}::{i + 1:x}",
            "live_data_session": "connected" if connected else "disconnected",
            "voice_enabled": g == 0 and i % 3 == 0,
            "actions_in_progress": False,
            "resources_with_in_progress_actions": [],
            "version": "4.3",
            "created_at": _ts(created),
            "updated_at": _ts(rng.uniform(0, min(created, 30))),
            "_pin_puk": _pin_puk(rng),
        }
        if has_device:
            doc["current_imei"] = imei
            doc["current_mcc"] = mcc
            doc["current_mnc"] = mnc
            doc["current_device_location"] = {
                "latitude": f"{float(lat) + rng.uniform(-0.05, 0.05):.4f}",
                "longitude": f"{float(lon) + rng.uniform(-0.05, 0.05):.4f}",
                "accuracy": rng.choice((10, 25, 50, 100, 250)),
                "accuracy_unit": "m",
            }
            doc["_device"] = rng.randrange(len(DEVICES))
        if esim:
            doc["esim_installation_status"] = "released"
            doc["_activation_code"] = f"LPA:1$smdp.sandbox.telnyx.com${rng.getrandbits(128):032X}"
        if g == 0 and i % 7 == 2:
            doc["_public_ip"] = {"ip": f"198.51.100.{i % 250 + 2}", "region_code": "dc2",
                                 "created_at": _ts(created / 2), "updated_at": _ts(created / 2)}
        sims.append(doc)
    return sims


STATUS_REASONS = {
    "registering": "The SIM card is being registered to your account.",
    "enabling": "The SIM card is being enabled.",
    "enabled": "The SIM card is active and can connect to the network.",
    "disabling": "The SIM card is being disabled.",
    "disabled": "The SIM card is disabled and cannot connect to the network.",
    "data_limit_exceeded": "The SIM card has used more data than its data limit allows.",
    "unauthorized_imei": "The SIM card is in a device that is not in its authorized IMEIs.",
    "setting_standby": "The SIM card is being put in standby.",
    "standby": "The SIM card is in standby and will be enabled when the device connects.",
}


def new_sim(rng: random.Random, *, sim_id: str, esim: bool, group_id: str, status: str,
            tags: list[str], created_at: str, registration_code: str | None = None) -> Doc:
    """A SIM card added after seeding (eSIM purchase or registration)."""
    iccid = f"89310411{rng.randrange(10**9, 10**10):010d}"
    body = f"{rng.randrange(10**8, 10**9):09d}"
    doc: Doc = {
        "id": sim_id,
        "record_type": "sim_card",
        "type": "esim" if esim else "physical",
        "iccid": iccid + _luhn(iccid),
        "imsi": f"310260{body}",
        "msisdn": f"+1872{rng.randrange(10**7):07d}",
        "eid": None,
        "status": {"value": status, "reason": STATUS_REASONS[status]},
        "sim_card_group_id": group_id,
        "tags": tags,
        "authorized_imeis": None,
        "current_billing_period_consumed_data": {"amount": "0.00", "unit": "MB"},
        "data_limit": {"amount": "1024", "unit": "MB"},
        "ipv4": f"10.100.{rng.randrange(256)}.{rng.randrange(2, 250)}",
        "ipv6": f"2001:db8:ff::{rng.getrandbits(16):x}",
        "live_data_session": "disconnected",
        "voice_enabled": False,
        "actions_in_progress": False,
        "resources_with_in_progress_actions": [],
        "version": "4.3",
        "created_at": created_at,
        "updated_at": created_at,
        "_pin_puk": _pin_puk(rng),
    }
    if esim:
        doc["esim_installation_status"] = "released"
        doc["_activation_code"] = f"LPA:1$smdp.sandbox.telnyx.com${rng.getrandbits(128):032X}"
    if registration_code is not None:
        doc["_registration_code"] = registration_code
    return doc


def device_details(doc: Doc) -> dict[str, Any] | None:
    if "_device" not in doc or "current_imei" not in doc:
        return None
    brand, model, kind, os_name = DEVICES[doc["_device"]]
    return {"record_type": "sim_card_device_details", "brand_name": brand, "model_name": model,
            "device_type": kind, "operating_system": os_name, "imei": doc["current_imei"]}


def connectivity_logs(seed: int, doc: Doc) -> list[dict[str, Any]]:
    """Deterministic per SIM, generated on demand so large fleets stay cheap to build."""
    rng = random.Random(f"{seed}:logs:{doc['id']}")
    if "current_imei" not in doc:
        return []
    logs = []
    t = FLEET_EPOCH - rng.uniform(1, 3) * DAY
    for n in range(rng.randint(8, 30)):
        kind = "registration" if n % 4 == 0 else "data"
        start = t
        t += rng.uniform(300, 7200)
        logs.append({
            "id": int(rng.randrange(10**8, 10**9)),
            "record_type": "wireless_connectivity_log",
            "sim_card_id": doc["id"],
            "log_type": kind,
            "imei": doc["current_imei"],
            "imsi": doc["imsi"],
            "ipv4": doc["ipv4"],
            "ipv6": doc["ipv6"],
            "mobile_country_code": doc.get("current_mcc", "310"),
            "mobile_network_code": doc.get("current_mnc", "260"),
            "radio_access_technology": rng.choice(("LTE-M", "NB-IoT", "LTE", "5G NSA")),
            "apn": "data00.telnyx",
            "cell_id": str(rng.randrange(10**6, 10**8)),
            "state": "closed",
            "start_time": iso(start),
            "stop_time": iso(t),
            "last_seen": iso(t),
            "created_at": iso(start),
        })
    logs[-1]["state"] = "open"
    logs.reverse()  # newest first
    return logs


# Networks SIMs roam on: name, country, MCC, MNC, TADIG.
MOBILE_NETWORK_OPERATORS = (
    ("T-Mobile US", "US", "310", "260", "USAW6"), ("AT&T Mobility", "US", "310", "410", "USACG"),
    ("Telekom Deutschland", "DE", "262", "01", "DEUD1"), ("Vodafone Germany", "DE", "262", "02", "DEUD2"),
    ("Orange France", "FR", "208", "01", "FRAF1"), ("KPN", "NL", "204", "08", "NLDPT"),
    ("Vodafone UK", "GB", "234", "15", "GBRVF"), ("Telcel", "MX", "334", "020", "MEXTL"),
)
TRAFFIC_POLICY_SERVICES = (
    ("mqtt", "MQTT", "iot"), ("https", "HTTPS", "web"), ("ntp", "NTP", "infrastructure"),
    ("youtube", "YouTube", "video"), ("netflix", "Netflix", "video"), ("whatsapp", "WhatsApp", "messaging"),
)
DATA_RATE = "0.0010"  # USD per MB at home; roaming outside the SIM's home network costs more
ROAMING_RATE = "0.0045"


def mnc_name(mcc: str, mnc: str) -> tuple[str, str] | None:
    """The network's name and country code, if the sandbox knows it."""
    return next(((name, cc) for name, cc, c, n, _ in MOBILE_NETWORK_OPERATORS if (c, n) == (mcc, mnc)), None)


def mobile_phone_number(number_id: str, sim: Doc, *, created_at: str, connection_id: str | None = None) -> Doc:
    """The number a SIM gets when voice is enabled on it."""
    return {
        "id": number_id, "record_type": "mobile_phone_number", "phone_number": sim["msisdn"],
        "sim_card_id": sim["id"], "status": "active", "country_iso_alpha2": "US", "mobile_voice_enabled": True,
        "connection_id": connection_id, "connection_name": None, "connection_type": None,
        "customer_reference": None, "tags": [], "caller_id_name_enabled": False,
        "inbound_call_screening": "disabled", "noise_suppression": "disabled",
        "call_forwarding": {"call_forwarding_enabled": False, "forwarding_type": "always", "forwards_to": None},
        "call_recording": {"inbound_call_recording_enabled": False, "inbound_call_recording_channels": "single",
                           "inbound_call_recording_format": "wav"},
        "cnam_listing": {"cnam_listing_enabled": False, "cnam_listing_details": None},
        "inbound": {"interception_app_id": None, "interception_app_name": None},
        "outbound": {"interception_app_id": None, "interception_app_name": None},
        "created_at": created_at, "updated_at": created_at,
    }
