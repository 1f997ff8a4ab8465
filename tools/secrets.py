"""Secret fields of the API's answers: kept out of what the server returns, as each field's registry rule says.

The rules live in the operations' registry entries (`Operation.secrets`, see `Secret`):
- `ask`: returned only when a person agreed to reveal it (the confirmation gate decided); otherwise removed.
- `never`: removed from every answer. Its values, seen in an answer or sent in a call's arguments, are
  also masked from then on wherever else they turn up: errors, logs, the audit log.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .redact import register_secret
from .registry import Operation


# Credentials are long (an AWS access key id has 20 characters, a Telnyx API key more); a short value is masked
# nowhere, so that a caller cannot blank out ordinary words in everyone's output by sending them as a secret.
MIN_LENGTH = 16


def _mask_from_now_on(value: Any) -> None:
    if isinstance(value, str):
        if len(value.strip()) >= MIN_LENGTH:
            register_secret(value)
    elif isinstance(value, dict):
        for item in value.values():
            _mask_from_now_on(item)
    elif isinstance(value, list):
        for item in value:
            _mask_from_now_on(item)


def remember(op: Operation, arguments: dict[str, Any]) -> None:
    """Mask from now on the never-returned secrets a call sends (a migration source's credentials), before the
    call is checked or sent: an error that quotes them back then shows them masked."""
    for secret in op.secrets:
        if secret.policy == "never" and secret.field in arguments:
            _mask_from_now_on(arguments[secret.field])


def withhold(op: Operation, data: Any, revealed: Collection[str] = ()) -> Any:
    """`data` (a record or a list of records) without the secret fields `op` declares, except the `revealed`
    ones (fields a person agreed to show)."""
    dropped = [s for s in op.secrets if s.field not in revealed]
    if not dropped:
        return data

    def strip(record: Any) -> Any:
        if not isinstance(record, dict) or not any(s.field in record for s in dropped):
            return record
        kept = dict(record)
        for secret in dropped:
            if secret.field in kept:
                value = kept.pop(secret.field)
                if secret.policy == "never":
                    _mask_from_now_on(value)
        return kept

    return [strip(r) for r in data] if isinstance(data, list) else strip(data)
