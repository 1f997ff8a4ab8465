"""Storage migrations: copying buckets from another cloud into Telnyx storage."""

from functools import partial

from . import shapes
from .model import Operation, body, boolean, enum, obj, path_id, string

op = partial(Operation, toolset="storage_migrations")

SOURCE_ID = path_id("migration_source_id", "Migration source id, from list_migration_sources.", is_uuid=False)
MIGRATION_ID = path_id("migration_id", "Migration id, from list_migrations.", is_uuid=False)
BUCKET = string(max_length=255, minLength=1)
REGION = string(max_length=64, pattern="^[a-z0-9-]+$")

OPERATIONS = [
    op(
        name="list_migration_source_coverage", title="List migration coverage", method="GET",
        path="/storage/migration_source_coverage",
        description="Which providers and regions buckets can be migrated from.",
        kind="read", reason="Reads only.", returns=shapes.MIGRATION_SOURCE_COVERAGE, returns_list=True, paginated=True,
    ),
    op(
        name="list_migration_sources", title="List migration sources", method="GET", path="/storage/migration_sources",
        description="Buckets registered as sources to migrate from.",
        kind="read", reason="Reads only.", returns=shapes.MIGRATION_SOURCE, returns_list=True, paginated=True,
    ),
    op(
        name="create_migration_source", title="Create a migration source", method="POST",
        path="/storage/migration_sources",
        description="Register a bucket (AWS S3 or Telnyx) to migrate from, with credentials that can read it. "
                    "Then start a copy with create_migration.",
        kind="write", reason="Stores a source; nothing is copied or charged until a migration starts.",
        params=(
            body("provider", enum("aws", "telnyx"), "Where the bucket is.", required=True),
            body("bucket_name", BUCKET, "Bucket to migrate from.", required=True),
            body("provider_auth", obj({
                "access_key": (string(max_length=256), "Access key id."),
                "secret_access_key": (string(max_length=256), "Secret access key (never shown back)."),
            }), "Credentials that can read the bucket.", required=True),
            body("source_region", REGION, "Region of the bucket, e.g. \"us-east-1\"."),
        ),
        returns=shapes.MIGRATION_SOURCE,
    ),
    op(
        name="get_migration_source", title="Get a migration source", method="GET",
        path="/storage/migration_sources/{migration_source_id}",
        description="One migration source: provider, bucket and region.",
        kind="read", reason="Reads only.", params=(SOURCE_ID,), returns=shapes.MIGRATION_SOURCE,
    ),
    op(
        name="delete_migration_source", title="Delete a migration source", method="DELETE",
        path="/storage/migration_sources/{migration_source_id}",
        description="Delete a migration source and its stored credentials. Cannot be undone.",
        kind="destructive", reason="Irreversible; migrations can no longer use it.",
        params=(SOURCE_ID,), returns=shapes.MIGRATION_SOURCE,
    ),
    op(
        name="list_migrations", title="List migrations", method="GET", path="/storage/migrations",
        description="Bucket migrations with status and progress (bytes copied of bytes to copy, speed, ETA).",
        kind="read", reason="Reads only.", returns=shapes.MIGRATION, returns_list=True, paginated=True,
    ),
    op(
        name="create_migration", title="Start a migration", method="POST", path="/storage/migrations",
        description="Start copying a migration source into a Telnyx bucket. Follow it with get_migration.",
        kind="write", reason="Copies data without deleting any; storage used afterwards is billed as usual.",
        params=(
            body("source_id", string(max_length=128, minLength=1), "Migration source id.", required=True),
            body("target_bucket_name", BUCKET, "Telnyx bucket to copy into.", required=True),
            body("target_region", REGION, "Telnyx region of the target bucket.", required=True),
            body("refresh", boolean(), "Keep copying new objects after the first pass."),
        ),
        returns=shapes.MIGRATION,
    ),
    op(
        name="get_migration", title="Get a migration", method="GET", path="/storage/migrations/{migration_id}",
        description="One migration: status, bytes copied of bytes to copy, speed and ETA.",
        kind="read", reason="Reads only.", params=(MIGRATION_ID,), returns=shapes.MIGRATION,
    ),
    op(
        name="stop_migration", title="Stop a migration", method="POST",
        path="/storage/migrations/{migration_id}/actions/stop",
        description="Stop a running migration; objects not yet copied stay behind.",
        kind="destructive", reason="Aborts a copy in progress; it cannot be resumed.",
        params=(MIGRATION_ID,), returns=shapes.MIGRATION,
    ),
]
