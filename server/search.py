"""Ranks the catalog's operations for a request in plain words: BM25 over each entry's own words.

An entry's words are its name, title, description and `search_words` (the synonyms and paraphrases kept in
its registry entry), each field weighted. Words are stemmed (Snowball English), British -ise spellings are
read as -ize, and a word the catalog does not know is read as the closest word it does (a typo). Adjacent
word pairs count too, so "turn off" and "turn on" rank apart, and so does a word in the very form it was
written ("groups", "actions": a plural asks for a list). BM25 is a dozen lines here: the catalog is a
hundred short entries, and the libraries that implement it bring numpy with them.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any, NamedTuple

# How much a word counts by where it stands in the entry.
FIELD_WEIGHTS = {"name": 3.0, "title": 2.0, "search_words": 1.5, "description": 1.0}
PAIR_WEIGHT = 1.0  # an adjacent word pair, on top of its two words
K1, B = 1.2, 0.75  # BM25's usual term-frequency saturation and length normalisation
TYPO_CUTOFF = 0.8  # difflib similarity for reading an unknown word as a known one

STOP_WORDS = frozenset("""
a an the this that these those it its it's i me my we us our you your they them their he she his her
is are was were be been being am do does did doing have has had having will would can could should shall may might
of to in at by for from with about as into onto than then so if or and but also too very just please
some any all each every there here what which who whom whose when where why how
get got want need needs like let lets make sure right now still already
""".split())
SPELLING = {"licence": "license", "cancelled": "canceled", "cancelling": "canceling", "colour": "color",
            "behaviour": "behavior", "centre": "center", "metre": "meter", "programme": "program"}
NOT_ISE = frozenset("wise otherwise rise raise noise praise cruise promise premise precise concise expertise "
                    "exercise advise devise revise surprise enterprise franchise merchandise compromise "
                    "disguise despise chemise".split())


class Match(NamedTuple):
    score: float
    entry: Any


def words(text: str) -> list[str]:
    """Lower-case words without ids and numbers; `e-SIM` -> `esim`."""
    text = re.sub(r"(?<=\w)[-'’](?=\w)", "", text.lower().replace("_", " "))
    found = []
    for word in re.findall(r"[a-z0-9]+", text):
        if any(c.isdigit() for c in word) and (len(word) > 3 or word.isdigit()):
            continue  # ids, ICCIDs, phone numbers, amounts: they say which one, not which operation
        if len(word) > 1 and word not in STOP_WORDS:
            found.append(word)
    return found


def american(word: str) -> str:
    word = SPELLING.get(word, word)
    match = re.fullmatch(r"(\w{3,})is(e|es|ed|ing|ation|ations|er|ers)", word)
    if match and word not in NOT_ISE and not word.startswith(tuple(NOT_ISE)):
        return f"{match[1]}iz{match[2]}"
    return word


@cache
def _stemmer():
    import snowballstemmer  # on first search only: most servers never search

    return snowballstemmer.stemmer("english")


@cache
def stem(word: str) -> str:
    return _stemmer().stemWord(word)  # pure Python and slowish: each word once


def terms(stemmed: list[str]) -> list[str]:
    """The words and each adjacent pair (`turn off` -> turn, off, turn+off)."""
    return stemmed + [f"{a}+{b}" for a, b in zip(stemmed, stemmed[1:])]


def _fields(entry: Any) -> dict[str, list[str]]:
    return {"name": [entry.name], "title": [entry.title], "description": [entry.description],
            "search_words": list(entry.search_words)}


class SearchIndex:
    def __init__(self, entries: Iterable[Any]):
        self.entries = list(entries)
        self.by_name = {entry.name: entry for entry in self.entries}
        self.docs: list[Counter[str]] = []
        self.lengths: list[float] = []
        self.known: dict[str, str] = {}  # every word the catalog holds -> its stem, to read typos
        for entry in self.entries:
            doc: Counter[str] = Counter()
            for field, texts in _fields(entry).items():
                for text in texts:  # one phrase at a time: no pairs across two search words
                    surface = [american(w) for w in words(text)]
                    stemmed = [stem(w) for w in surface]
                    self.known.update(zip(surface, stemmed))
                    for term in terms(stemmed) + [f"={w}" for w in surface]:
                        doc[term] += FIELD_WEIGHTS[field] * (PAIR_WEIGHT if "+" in term else 1.0)
            self.docs.append(doc)
            self.lengths.append(sum(v for t, v in doc.items() if t[0] != "=" and "+" not in t))
        self.average = sum(self.lengths) / max(len(self.lengths), 1)
        frequency = Counter(term for doc in self.docs for term in doc)
        self.frequency = frequency  # how many entries hold each term
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}
        self.stems = set(self.known.values())
        self.by_initial: dict[str, list[str]] = {}  # a typo rarely hits the first letter: compare with fewer words
        for word in self.known:
            self.by_initial.setdefault(word[0], []).append(word)

    def entry(self, name: str) -> Any:
        return self.by_name.get(name)

    def _read(self, word: str) -> str:
        """A query word as the catalog writes it: itself when the catalog holds its stem (or it is too short to
        correct), else the closest word the catalog holds (a typo), else itself."""
        if stem(word) in self.stems or len(word) < 3:
            return word
        close = difflib.get_close_matches(word, self.by_initial.get(word[0], []), n=5, cutoff=TYPO_CUTOFF)
        if not close:
            return word
        # Equally close words ("lst": list, last, lost): the one more entries hold is the likelier meant.
        best = difflib.SequenceMatcher(None, word, close[0]).ratio()
        tied = [w for w in close if difflib.SequenceMatcher(None, word, w).ratio() == best]
        return max(tied, key=lambda w: self.frequency[self.known[w]])

    def rank(self, query: str) -> list[Match]:
        """Entries that share a word with `query`, best first (ties in catalog order)."""
        surface = [self._read(american(w)) for w in words(query)]
        stemmed = [stem(w) for w in surface]
        query_terms = set(terms([s for s in stemmed if s in self.stems]) + [f"={w}" for w in surface])
        scored = []
        for position, (entry, doc, length) in enumerate(zip(self.entries, self.docs, self.lengths)):
            score = 0.0
            for term in query_terms & doc.keys():
                tf = doc[term]
                score += self.idf[term] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / self.average))
            if score > 0:
                scored.append((-score, position, entry))
        return [Match(-s, entry) for s, _, entry in sorted(scored, key=lambda s: s[:2])]


@cache
def catalog_index() -> SearchIndex:
    """One index over the whole catalog: a server's selection filters it, so ranks do not shift with it."""
    from .selection import CATALOG

    return SearchIndex(CATALOG.values())
