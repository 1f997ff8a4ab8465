"""Sandbox state: collections of JSON documents, in memory or written through to SQLite.

Documents are plain dicts keyed by collection and id. Keys starting with "_" are private
bookkeeping (due times, secrets, links) and never leave the sandbox. Work that takes time on
the real API (SIM actions, group actions, registrations) is recorded with a `_due` time and
settled lazily by `settle()` at the start of each request; nothing runs in the background.
"""

from __future__ import annotations

import heapq
import json
import random
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

Doc = dict[str, Any]

# Collections whose documents may carry a `_due` time to settle.
TIMED = ("sim_card_actions", "sim_card_group_actions", "sim_cards")


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def public(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


class Store:
    def __init__(
        self,
        *,
        seed: int,
        clock: Callable[[], float],
        state_path: str | None = None,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.collections: dict[str, dict[str, Doc]] = {}
        self.meta: dict[str, Any] = {"seed": seed, "counter": 0}
        self._due: list[tuple[float, int, str, str]] = []
        self._due_seq = 0
        self._dirty: dict[tuple[str, str], Doc | None] = {}
        # Derived lists (a filtered, sorted listing) kept until their collection changes, so
        # paging through N documents costs one scan of N, not one per page.
        self._versions: dict[str, int] = {}
        self._views: dict[tuple[Any, ...], tuple[int, list[Any]]] = {}
        self.scanned = 0  # documents visited to build views: the work a listing costs
        self._conn: sqlite3.Connection | None = None
        self.loaded = False
        if state_path is not None:
            self._conn = sqlite3.connect(state_path, check_same_thread=False)
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS docs (collection TEXT NOT NULL, id TEXT NOT NULL,"
                " body TEXT NOT NULL, PRIMARY KEY (collection, id))"
            )
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            self.loaded = self._load()

    # -- persistence ---------------------------------------------------------------------

    def _load(self) -> bool:
        assert self._conn is not None
        rows = self._conn.execute("SELECT key, value FROM meta").fetchall()
        if not rows:
            return False
        self.meta = {k: json.loads(v) for k, v in rows}
        self.seed = self.meta.get("seed", self.seed)
        for coll, doc_id, body in self._conn.execute(
            "SELECT collection, id, body FROM docs ORDER BY rowid"
        ):
            self.collections.setdefault(coll, {})[doc_id] = json.loads(body)
        for coll in TIMED:
            for doc in self.all(coll):
                if "_due" in doc:
                    self.schedule(coll, doc)
        return True

    def commit(self) -> None:
        """Write every document changed since the last commit (one transaction)."""
        if self._conn is None:
            self._dirty.clear()
            return
        if not self._dirty:
            return
        with self._conn:
            upserts = [
                (c, i, json.dumps(d, separators=(",", ":")))
                for (c, i), d in self._dirty.items()
                if d is not None
            ]
            deletes = [(c, i) for (c, i), d in self._dirty.items() if d is None]
            self._conn.executemany(
                "INSERT INTO docs (collection, id, body) VALUES (?, ?, ?)"
                " ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body",
                upserts,
            )
            self._conn.executemany("DELETE FROM docs WHERE collection = ? AND id = ?", deletes)
            self._conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(k, json.dumps(v)) for k, v in self.meta.items()],
            )
        self._dirty.clear()

    def close(self) -> None:
        if self._conn is not None:
            self.commit()
            self._conn.close()
            self._conn = None

    # -- documents -----------------------------------------------------------------------

    def now(self) -> float:
        return float(self.clock())

    def new_id(self) -> str:
        """A UUID that is reproducible from the seed and the number of ids handed out."""
        self.meta["counter"] = n = self.meta.get("counter", 0) + 1
        rng = random.Random(f"{self.seed}:{n}")
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def new_numeric_id(self) -> str:
        self.meta["counter"] = n = self.meta.get("counter", 0) + 1
        return str(random.Random(f"{self.seed}:{n}").randrange(10**18, 10**19))

    def collection(self, coll: str) -> dict[str, Doc]:
        return self.collections.setdefault(coll, {})

    def get(self, coll: str, doc_id: str) -> Doc | None:
        return self.collections.get(coll, {}).get(doc_id)

    def all(self, coll: str) -> Iterable[Doc]:
        return self.collections.get(coll, {}).values()

    def count(self, coll: str) -> int:
        return len(self.collections.get(coll, {}))

    def view(self, coll: str, key: tuple[Any, ...], build: Callable[[Iterable[Doc]], list[Any]]
             ) -> list[Any]:
        """`build(documents of coll)`, reused until `coll` changes (one scan per change)."""
        version = self._versions.get(coll, 0)
        cached = self._views.get((coll, *key))
        if cached is not None and cached[0] == version:
            return cached[1]
        docs = self.collections.get(coll, {})
        self.scanned += len(docs)
        built = build(docs.values())
        if len(self._views) >= 32:
            self._views.pop(next(iter(self._views)))
        self._views[(coll, *key)] = (version, built)
        return built

    def version(self, coll: str) -> int:
        """A number that changes whenever a document of `coll` does."""
        return self._versions.get(coll, 0)

    def _changed(self, coll: str) -> None:
        self._versions[coll] = self._versions.get(coll, 0) + 1

    def put(self, coll: str, doc: Doc) -> Doc:
        self._changed(coll)
        self.collection(coll)[doc["id"]] = doc
        self._dirty[(coll, doc["id"])] = doc
        return doc

    def put_many(self, coll: str, docs: Iterable[Doc]) -> None:
        target = self.collection(coll)
        self._changed(coll)
        for doc in docs:
            target[doc["id"]] = doc
            self._dirty[(coll, doc["id"])] = doc

    def delete(self, coll: str, doc_id: str) -> Doc | None:
        doc = self.collections.get(coll, {}).pop(doc_id, None)
        if doc is not None:
            self._changed(coll)
            self._dirty[(coll, doc_id)] = None
        return doc

    # -- timed work ----------------------------------------------------------------------

    def schedule(self, coll: str, doc: Doc) -> None:
        self._due_seq += 1
        heapq.heappush(self._due, (float(doc["_due"]), self._due_seq, coll, doc["id"]))

    def due(self, now: float) -> Iterator[tuple[str, Doc]]:
        """Pop every scheduled document whose time has come, oldest first."""
        while self._due and self._due[0][0] <= now:
            _, _, coll, doc_id = heapq.heappop(self._due)
            doc = self.get(coll, doc_id)
            if doc is not None and "_due" in doc and doc["_due"] <= now:
                yield coll, doc
