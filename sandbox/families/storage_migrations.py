"""Storage migrations: copying buckets from other providers into Telnyx Cloud Storage."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from .. import fleet
from ..handlers import Call, Handlers, Result, exists, page, require
from ..store import Doc, iso, public
from ..validation import unprocessable

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()


def render_migration(sb: Sandbox, mig: Doc) -> dict[str, Any]:
    """pending -> checking (one `action_delay`) -> migrating at `speed` bytes/s -> complete."""
    out = public(mig)
    total, speed = mig["bytes_to_migrate"], mig["speed"]
    duration = total / speed
    if mig.get("_final") == "complete":
        created = mig["created_at"]
        t_created = fleet.FLEET_EPOCH - 45 * fleet.DAY
        out.update(status="complete", bytes_migrated=total, created_at=created,
                   eta=iso(t_created + duration), last_copy=iso(t_created + duration))
        return out
    t0 = mig["_t0"]
    end = mig.get("_stopped_at", sb.store.now())
    checking = sb.action_delay
    moved = int(min(total, max(0.0, end - t0 - checking) * speed))
    if "_stopped_at" in mig:
        status = "stopped"
    elif end - t0 < checking / 2:
        status = "pending"
    elif end - t0 < checking:
        status = "checking"
    elif moved < total:
        status = "migrating"
    else:
        status = "complete"
    out.update(status=status, bytes_migrated=moved, eta=iso(t0 + checking + duration))
    if moved:
        out["last_copy"] = iso(min(end, t0 + checking + duration))
    return out


def render_source(src: Doc) -> dict[str, Any]:
    # As the API description's response schema has it: the credentials come back, both keys (for a Telnyx
    # source, the account's API key twice). The worst case a client must keep from its users' output.
    return public(src)


@handles("ListMigrationSourceCoverage")
def list_migration_source_coverage(sb: Sandbox, call: Call) -> Result:
    return page(call, list(fleet.MIGRATION_COVERAGE),
                lambda r: {"provider": "aws", "source_region": r})


@handles("ListMigrationSources")
def list_migration_sources(sb: Sandbox, call: Call) -> Result:
    return page(call, list(sb.store.all("migration_sources")), render_source)


@handles("CreateMigrationSource")
def create_migration_source(sb: Sandbox, call: Call) -> Result:
    body = call.body or {}
    auth = body["provider_auth"]
    for part in ("access_key", "secret_access_key"):
        if not auth.get(part):
            raise unprocessable(f"provider_auth.{part} is required",
                                pointer=f"/provider_auth/{part}")
    if body["provider"] == "telnyx" and auth["access_key"] != auth["secret_access_key"]:
        # Quoting the key refused, as storage providers' InvalidAccessKeyId errors do.
        raise unprocessable(f"provider_auth: for a Telnyx source both keys are the account's API key; the key "
                            f"{auth['access_key']!r} does not match secret_access_key", pointer="/provider_auth")
    region = body.get("source_region")
    if body["provider"] == "aws" and region is not None and \
            region not in fleet.MIGRATION_COVERAGE:
        raise unprocessable(f"source_region: {region!r} is not covered; see "
                            "GET /storage/migration_source_coverage", pointer="/source_region")
    doc: Doc = {"id": sb.store.new_id(), "provider": body["provider"],
                "bucket_name": body["bucket_name"], "provider_auth": dict(auth)}
    if region is not None:
        doc["source_region"] = region
    return Result(render_source(sb.store.put("migration_sources", doc)))


@handles("GetMigrationSource")
def get_migration_source(sb: Sandbox, call: Call) -> Result:
    return Result(render_source(require(sb, "migration_sources", call.id, "Migration source")))


@handles("DeleteMigrationSource")
def delete_migration_source(sb: Sandbox, call: Call) -> Result:
    doc = require(sb, "migration_sources", call.id, "Migration source")
    sb.store.delete("migration_sources", doc["id"])
    return Result(render_source(doc))


@handles("ListMigrations")
def list_migrations(sb: Sandbox, call: Call) -> Result:
    return page(call, list(sb.store.all("migrations")), lambda m: render_migration(sb, m))


@handles("CreateMigration")
def create_migration(sb: Sandbox, call: Call) -> Result:
    body = call.body or {}
    source = exists(sb, "migration_sources", body["source_id"], "migration source", "/source_id")
    rng = random.Random(f"{sb.seed}:bucket:{source['bucket_name']}")
    doc: Doc = {"id": sb.store.new_id(), "source_id": source["id"],
                "target_bucket_name": body["target_bucket_name"],
                "target_region": body["target_region"],
                "refresh": body.get("refresh", False),
                "bytes_to_migrate": rng.randrange(1, 50) * 1024**3,
                "speed": 104_857_600, "created_at": iso(call.now), "_t0": call.now}
    return Result(render_migration(sb, sb.store.put("migrations", doc)))


@handles("GetMigration")
def get_migration(sb: Sandbox, call: Call) -> Result:
    return Result(render_migration(sb, require(sb, "migrations", call.id, "Migration")))


@handles("StopMigration")
def stop_migration(sb: Sandbox, call: Call) -> Result:
    doc = require(sb, "migrations", call.id, "Migration")
    status = render_migration(sb, doc)["status"]
    if status in ("complete", "stopped", "error"):
        raise unprocessable(f"The migration is already {status}", pointer="/id")
    doc["_stopped_at"] = call.now
    return Result(render_migration(sb, sb.store.put("migrations", doc)))
