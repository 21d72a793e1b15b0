"""One person, one history: which candidates of an organization are probably the same person.

The contract's rule, in this one place. Two candidates are probably the same person when:

1. they share a phone number: digits only, the last 9 digits equal (a number with fewer than
   9 digits matches nothing: too short to tell a person);
2. their names match, ignoring case, accents and word order ("José García" and "garcia
   jose"), and their email addresses share the part before the `@` (any of their
   addresses, the primary one or the others);
3. their names are very similar (pg_trgm's trigram similarity of the normalized names is 0.8
   or more; on SQLite, which has no trigrams, the normalized names are equal) and they share
   a client (each has an event on a job of that client).

`probable_duplicates` answers for many people at once (the import's new candidates) in at most
three queries per chunk of people, whatever the size of the organization: the candidates
whose phone key or name key is one of theirs (two indexes, and on PostgreSQL the trigram
index of migration 0010), then those candidates' other addresses, then their clients.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.postgres.lookups import TrigramSimilar
from django.db import connection
from django.db.models import F, Q, Value

from .models import Candidate, CandidateAddress, Event, Organization

PHONE_DIGITS = 9
SIMILARITY = 0.8
# People per round of queries, so that a query's parameters stay well under every limit.
CHUNK = 500


def phone_key(phone: str) -> str:
    """The last 9 digits of a phone number, or "" when it has fewer."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= PHONE_DIGITS else ""


def name_key(name: str) -> str:
    """A name without case, accents or word order: "José  GARCÍA" -> "garcia jose"."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(sorted(re.findall(r"[^\W_]+", plain)))


def email_local(email: str) -> str:
    """The part of an address before the `@`, lowercased."""
    return (email or "").strip().lower().rpartition("@")[0]


def _trigrams(text: str) -> set[str]:
    # pg_trgm's: each word, lowercased, padded with two spaces before and one after.
    grams: set[str] = set()
    for word in re.findall(r"[^\W_]+", text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of the two texts."""
    ta, tb = _trigrams(a), _trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def _trigrams_available() -> bool:
    return connection.vendor == "postgresql"


def names_very_similar(a: str, b: str) -> bool:
    """Rule 3's names (normalized keys): trigram similarity on PostgreSQL, equality elsewhere."""
    if not a or not b:
        return False
    if _trigrams_available():
        return similarity(a, b) >= SIMILARITY
    return a == b


@dataclass(frozen=True)
class Person:
    """Someone to compare with the organization's candidates: a candidate about to be created
    (no `pk`), or an existing one (`pk`: its own addresses and clients are read too, and it
    is not its own duplicate)."""

    name: str
    emails: tuple[str, ...] = ()
    phone: str = ""
    client_ids: frozenset[int] = frozenset()
    pk: int | None = None


@dataclass
class Match:
    candidate: Candidate
    reasons: list[str] = field(default_factory=list)

    @property
    def why(self) -> str:
        return "; ".join(self.reasons)


SAME_PHONE = "the same phone number"
SAME_NAME_AND_ADDRESS = "the same name, and email addresses with the same part before the @"
SIMILAR_NAME_AT = "a very similar name, and both at {client}"


def probable_duplicates(organization: Organization, people: Sequence[Person]) -> list[list[Match]]:
    """For each person, the organization's candidates that are probably the same person,
    by name. At most three queries per CHUNK people."""
    found: list[list[Match]] = []
    for start in range(0, len(people), CHUNK):
        found.extend(_chunk(organization, people[start : start + CHUNK]))
    return found


def _chunk(organization: Organization | int, people: Sequence[Person]) -> list[list[Match]]:
    phones = {k for p in people if (k := phone_key(p.phone))}
    keys = {k for p in people if (k := name_key(p.name))}
    if not phones and not keys:
        return [[] for _ in people]
    condition = Q(phone_key__in=phones) | Q(name_key__in=keys)
    if _trigrams_available():
        # The % operator (pg_trgm's threshold, 0.3 by default) picks the candidates from the
        # trigram index; the 0.8 of the rule is checked below.
        for key in keys:
            condition |= Q(TrigramSimilar(F("name_key"), Value(key)))
    candidates = list(
        Candidate.objects.filter(organization=organization)
        .filter(condition)
        .only(
            "pk",
            "name",
            "email",
            "phone_key",
            "name_key",
            "status",
            "advice",
            "risk_score",
            "explanation",
        )
        .order_by("name", "pk")
    )
    own = {p.pk for p in people if p.pk is not None}
    by_name = [c for c in candidates if c.name_key]
    addresses = _addresses({c.pk for c in by_name if c.name_key in keys} | own)
    need_clients = own | (
        {c.pk for c in by_name} if any(p.client_ids for p in people) or own else set()
    )
    clients, client_names = _clients(need_clients)

    answers = []
    for person in people:
        p_phone, p_key = phone_key(person.phone), name_key(person.name)
        p_locals = {email_local(e) for e in person.emails} - {""}
        p_clients = set(person.client_ids)
        if person.pk is not None:
            p_locals |= {email_local(e) for e in addresses.get(person.pk, ())}
            p_clients |= clients.get(person.pk, set())
        matches = []
        for c in candidates:
            if c.pk == person.pk:
                continue
            reasons = []
            if p_phone and c.phone_key == p_phone:
                reasons.append(SAME_PHONE)
            if p_key and c.name_key == p_key:
                c_locals = {email_local(c.email)} | {
                    email_local(e) for e in addresses.get(c.pk, ())
                }
                if p_locals & c_locals:
                    reasons.append(SAME_NAME_AND_ADDRESS)
            shared = p_clients & clients.get(c.pk, set())
            if shared and names_very_similar(p_key, c.name_key):
                names = sorted(client_names[i] for i in shared)
                reasons.append(SIMILAR_NAME_AT.format(client=", ".join(names)))
            if reasons:
                matches.append(Match(candidate=c, reasons=reasons))
        answers.append(matches)
    return answers


def _addresses(candidate_ids: set[int]) -> dict[int, list[str]]:
    if not candidate_ids:
        return {}
    found: dict[int, list[str]] = {}
    for candidate_id, email in CandidateAddress.objects.filter(
        candidate_id__in=candidate_ids
    ).values_list("candidate_id", "email"):
        found.setdefault(candidate_id, []).append(email)
    return found


def _clients(candidate_ids: set[int]) -> tuple[dict[int, set[int]], dict[int, str]]:
    if not candidate_ids:
        return {}, {}
    clients: dict[int, set[int]] = {}
    names: dict[int, str] = {}
    rows = (
        Event.objects.filter(candidate_id__in=candidate_ids, job__isnull=False)
        .values_list("candidate_id", "job__client_id", "job__client__name")
        .distinct()
    )
    for candidate_id, client_id, client_name in rows:
        clients.setdefault(candidate_id, set()).add(client_id)
        names[client_id] = client_name
    return clients, names


def duplicates_of(candidate: Candidate) -> list[Match]:
    """The candidates that are probably the same person as this one (the candidate page)."""
    person = Person(
        name=candidate.name, emails=(candidate.email,), phone=candidate.phone, pk=candidate.pk
    )
    return probable_duplicates(candidate.organization_id, [person])[0]


def duplicates_for_new(
    organization: Organization,
    *,
    name: str,
    email: str,
    phone: str = "",
    client_ids: Iterable[int] = (),
) -> list[Match]:
    """The candidates a new one with these details would probably duplicate."""
    person = Person(name=name, emails=(email,), phone=phone, client_ids=frozenset(client_ids))
    return probable_duplicates(organization, [person])[0]
