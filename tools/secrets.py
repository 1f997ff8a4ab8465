"""Secret fields of the API's answers: kept out of what the server returns, as each field's registry rule says.

The rules live in the operations' registry entries (`Operation.secrets`, see `Secret`):
- `ask`: returned only when a person agreed to reveal it (the confirmation gate decided); otherwise removed.
- `never`: removed from every answer. Its values are also masked wherever else they turn up (errors, logs,
  the audit log's details) as tools/redact.py masks learned secrets: the values a call sends, within that call
  from the start (`hold`), and from then on in the same Telnyx account once the call was sent and accepted
  (`remember`); the values an answer holds, from then on in that account.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from .redact import LEARNED_RUN, call_secrets, learn_secret
from .registry import Operation


# Credentials are long (an AWS access key id has 20 characters, a Telnyx API key more); a shorter value is masked
# nowhere, so that a caller cannot blank out ordinary words by sending them as a secret.
def _values(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if len(value.strip()) >= LEARNED_RUN:
            yield value.strip()
    elif isinstance(value, dict):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)


def _sent(op: Operation, arguments: dict[str, Any]) -> Iterator[str]:
    for secret in op.secrets:
        if secret.policy == "never" and secret.field in arguments:
            yield from _values(arguments[secret.field])


def hold(op: Operation, arguments: dict[str, Any]) -> None:
    """Mask the never-shown secrets a call sends for the rest of this call, from before it is checked: an error
    that quotes them back shows them masked. Nothing is remembered after the call."""
    sent = frozenset(_sent(op, arguments))
    if sent or call_secrets.get():
        call_secrets.set(sent)


def remember(op: Operation, arguments: dict[str, Any]) -> None:
    """Mask from now on, in this Telnyx account, the never-shown secrets of a call Telnyx accepted."""
    for value in _sent(op, arguments):
        learn_secret(value)


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
                    for seen in _values(value):
                        learn_secret(seen)
        return kept

    return [strip(r) for r in data] if isinstance(data, list) else strip(data)
