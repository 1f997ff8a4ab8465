"""Storage migrations: copying buckets from another cloud into Telnyx storage."""

from functools import partial

from . import shapes
from .model import Compensation, irreversible, Operation, Secret, body, boolean, enum, obj, path_id, string

op = partial(Operation, toolset="storage_migrations")

SOURCE_ID = path_id("migration_source_id", is_uuid=False)
MIGRATION_ID = path_id("migration_id", is_uuid=False)
BUCKET = string(max_length=255, minLength=1)
REGION = string(max_length=64, pattern="^[a-z0-9-]+$")
# A source's read credentials: for a Telnyx-to-Telnyx migration, a Telnyx API key. Never shown, from any call.
CREDENTIALS = Secret(field="provider_auth", what="migration source credentials", policy="never")

OPERATIONS = [
    op(
        name="list_migration_source_coverage", title="List migration coverage", method="GET",
        path="/storage/migration_source_coverage",
        description="Providers and regions buckets can be migrated from.",
        search_words=("supported providers", "which clouds", "aws s3 regions supported", "can we migrate from"),
        kind="read", reason="Reads only.", returns=shapes.MIGRATION_SOURCE_COVERAGE, returns_list=True, paginated=True,
    ),
    op(
        name="list_migration_sources", title="List migration sources", method="GET", path="/storage/migration_sources",
        description="Buckets registered to migrate from (never their credentials).",
        search_words=("registered buckets", "migration sources", "source buckets"),
        kind="read", reason="Reads only.", secrets=(CREDENTIALS,), returns=shapes.MIGRATION_SOURCE, returns_list=True,
        paginated=True,
    ),
    op(
        name="create_migration_source", title="Create a migration source", method="POST",
        compensation=Compensation(deletes="delete_migration_source"),
        path="/storage/migration_sources",
        description="Register a bucket (S3 or Telnyx) to migrate from, with read credentials.",
        search_words=("add s3 bucket", "register bucket", "access key", "source for migration", "connect aws bucket"),
        kind="write", reason="Stores a source; nothing is copied or charged until a migration starts.",
        params=(
            body("provider", enum("aws", "telnyx"), required=True),
            body("bucket_name", BUCKET, required=True),
            body("provider_auth", obj({
                "access_key": (string(max_length=256), ""),
                "secret_access_key": (string(max_length=256), ""),
            }), required=True),
            body("source_region", REGION, "e.g. \"us-east-1\""),
        ),
        secrets=(CREDENTIALS,), returns=shapes.MIGRATION_SOURCE,
    ),
    op(
        name="get_migration_source", title="Get a migration source", method="GET",
        path="/storage/migration_sources/{migration_source_id}",
        description="One migration source: provider, bucket, region (never its credentials).",
        search_words=("one migration source", "source bucket details", "bucket and region"),
        kind="read", reason="Reads only.", params=(SOURCE_ID,), secrets=(CREDENTIALS,),
        returns=shapes.MIGRATION_SOURCE,
    ),
    op(
        name="delete_migration_source", title="Delete a migration source", method="DELETE",
        compensation=irreversible("A deleted migration source cannot be restored."),
        path="/storage/migration_sources/{migration_source_id}",
        description="Delete a migration source and its stored credentials.",
        search_words=("remove migration source", "forget bucket", "delete credentials"),
        kind="destructive", reason="Irreversible; migrations can no longer use it.",
        params=(SOURCE_ID,), secrets=(CREDENTIALS,), returns=shapes.MIGRATION_SOURCE,
    ),
    op(
        name="list_migrations", title="List migrations", method="GET", path="/storage/migrations",
        description="Bucket migrations with status, progress, speed and ETA.",
        search_words=("storage migrations", "bucket copies", "migration progress", "all migrations"),
        kind="read", reason="Reads only.", returns=shapes.MIGRATION, returns_list=True, paginated=True,
    ),
    op(
        name="create_migration", title="Start a migration", method="POST", path="/storage/migrations",
        compensation=irreversible("A migration copies data as it runs; stop_migration stops it."),
        description="Start copying a migration source into a Telnyx bucket.",
        search_words=(
            "copy bucket", "migrate to telnyx storage", "move data from s3", "start copying", "transfer objects",
        ),
        kind="write", reason="Copies data without deleting any; storage used afterwards is billed as usual.",
        params=(
            body("source_id", string(max_length=128, minLength=1), required=True),
            body("target_bucket_name", BUCKET, required=True),
            body("target_region", REGION, required=True),
            body("refresh", boolean(), "Keep copying new objects."),
        ),
        returns=shapes.MIGRATION,
    ),
    op(
        name="get_migration", title="Get a migration", method="GET", path="/storage/migrations/{migration_id}",
        description="One migration: status, progress, speed, ETA.",
        search_words=("migration progress", "eta", "how fast", "migration status", "one migration"),
        kind="read", reason="Reads only.", params=(MIGRATION_ID,), returns=shapes.MIGRATION,
    ),
    op(
        name="stop_migration", title="Stop a migration", method="POST",
        compensation=irreversible("A stopped migration cannot be restarted; start a new one."),
        path="/storage/migrations/{migration_id}/actions/stop",
        description="Stop a running migration; uncopied objects stay behind.",
        search_words=("cancel migration", "halt copy", "abort migration", "stop copying"),
        kind="destructive", reason="Aborts a copy in progress; it cannot be resumed.",
        params=(MIGRATION_ID,), returns=shapes.MIGRATION,
    ),
]
