"""Two organizations seeded with the same shape of data, for the tests that try every URL
and every form as everyone: Northwind (the conftest's organization) and Rival, whose people and
texts are distinctive ("Zebulon Outsider"…) so that a page showing them is easy to catch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from api.models import ApiToken
from api.tokens import token_create
from ats import services as ats_services
from ats.models import InboundItem, InboundSource, ReasonMapping, Vendor
from candidates import services
from candidates.engine import Kind, Reason
from candidates.models import Candidate, Client, Event, Job, Merge, Organization, RiskNote, User
from outreach import services as outreach_services
from outreach.models import LinkPurpose, PrivateLink
from reminders.models import Reminder
from reminders.services import reminder_create
from webhooks import services as webhook_services
from webhooks.models import Delivery, Endpoint, EventType

from .factories import ClientFactory, JobFactory, UserFactory

PASSWORD = "correct-horse-battery"  # tests/factories.py
RECRUITER, HEADHUNTER, MANAGER, ADMIN = "recruiter", "headhunter", "manager", "admin"
MEMBERS = (RECRUITER, HEADHUNTER, MANAGER, ADMIN)


@dataclass(repr=False)
class World:
    """One organization and one object of every kind a URL can name."""

    org: Organization
    users: dict[str, User]
    member: User  # the one members/<pk>/ edits
    client: Client
    job: Job
    plain: Candidate  # clean: edit, log, note, flag, correct, export, erase, remind
    stumbled: Candidate  # may ask for a second chance
    requested: Candidate  # waits for a decision
    flagged: Candidate  # has a standing do-not-resubmit flag
    event: Event  # the plain candidate's, recorded by the recruiter
    note: RiskNote  # the plain candidate's, written by the recruiter
    reminder: Reminder  # the recruiter's
    merge: Merge  # a twin record of the plain candidate, merged into it
    link: PrivateLink  # the stumbled candidate's private link to ask for a second chance
    brief: PrivateLink  # the requested candidate's brief, shared with the client by link
    token: ApiToken  # the recruiter's read-write API token
    token_raw: str  # ... as shown once when it was made
    endpoint: Endpoint  # the organization's webhook endpoint (its secret is in `secrets`)
    delivery: Delivery  # a test sent to it
    ats_source: InboundSource  # the admin's Greenhouse endpoint
    ats_mapping: ReasonMapping  # a row of the ATS reasons table
    ats_item: InboundItem  # a Greenhouse rejection of the plain candidate, waiting for review
    secrets: list[str] = field(default_factory=list)  # what no one else may ever see

    def __repr__(self) -> str:
        return f"<World {self.org.slug}>"


def seed(org: Organization, people: dict[str, str], words: dict[str, str]) -> World:
    """`people` names the candidates (plain, stumbled, requested, flagged) and `words` the
    distinctive texts (client, job, event, note, reminder) of the organization."""
    domain = org.slug + ".test"
    users = {
        role: UserFactory(organization=org, role=role, username=f"{role}@{domain}")
        for role in MEMBERS
    }
    recruiter, manager = users[RECRUITER], users[MANAGER]
    member = UserFactory(organization=org, role=RECRUITER, username=f"member@{domain}")
    client = ClientFactory(organization=org, name=words["client"])
    job = JobFactory(client=client, title=words["job"])
    today = services.today()

    def candidate(key: str) -> Candidate:
        name = people[key]
        email = name.lower().replace(" ", ".") + f"@{domain}"
        return services.candidate_create(
            organization=org, email=email, name=name, owner=recruiter, rating=3
        )

    def no_show(who: Candidate) -> Event:
        return services.event_log(
            candidate=who,
            kind=Kind.NO_SHOW,
            occurred_on=today - timedelta(days=20),
            reason=Reason.COMMUTE,
            job=job,
            notes=words["event"],
            recorded_by=recruiter,
        )

    plain, stumbled, requested, flagged, twin = (
        candidate(key) for key in ("plain", "stumbled", "requested", "flagged", "twin")
    )
    event = services.event_log(
        candidate=plain,
        kind=Kind.ATTENDED,
        occurred_on=today - timedelta(days=5),
        job=job,
        notes=words["event"],
        recorded_by=recruiter,
    )
    note = services.risk_note_add(
        candidate=plain, dimension="trust", level=3, author=recruiter, note=words["note"]
    )
    no_show(stumbled)
    no_show(requested)
    services.second_chance_request(
        candidate=requested, pitch=words["pitch"], recorded_by=recruiter, job=job
    )
    services.flag_set(candidate=flagged, reason=words["flag"], recorded_by=manager)
    reminder = reminder_create(
        candidate=plain,
        user=recruiter,
        title=words["reminder"],
        due_at=timezone.now() + timedelta(days=1),
        created_by=recruiter,
    )
    twin_email = twin.email
    merge = services.candidates_merge(
        kept=plain, merged=twin, reason=words["merge"], merged_by=recruiter
    )
    stumbled.refresh_from_db()
    link = outreach_services.link_create(
        candidate=stumbled, job=job, purpose=LinkPurpose.REQUEST, by=recruiter
    )
    requested.refresh_from_db()
    brief = outreach_services.link_create(
        candidate=requested, job=job, purpose=LinkPurpose.BRIEF, by=users[HEADHUNTER]
    )
    made = token_create(member=recruiter, name=words["token"], scope="write")
    # A public address given as an IP: registering it needs no DNS.
    endpoint = webhook_services.endpoint_create(
        organization=org,
        url=f"https://93.184.216.34/{words['webhook']}",
        events=list(EventType.values),
        by=users[ADMIN],
    )
    delivery = webhook_services.test_send(endpoint=endpoint, by=users[ADMIN])
    ats_source, ats_mapping, ats_item = seed_ats(org, users[ADMIN], plain, words)
    world = World(
        endpoint=endpoint,
        delivery=delivery,
        link=link,
        brief=brief,
        org=org,
        users=users,
        member=member,
        client=client,
        job=job,
        plain=plain,
        stumbled=stumbled,
        requested=requested,
        flagged=flagged,
        event=event,
        note=note,
        reminder=reminder,
        merge=merge,
        token=made.token,
        token_raw=made.raw,
        ats_source=ats_source,
        ats_mapping=ats_mapping,
        ats_item=ats_item,
    )
    world.secrets = [
        *people.values(),
        *(c.email for c in (plain, stumbled, requested, flagged)),
        twin_email,
        *words.values(),
        member.email,
        made.raw,
        webhook_services.secret_of(endpoint),
    ]
    return world


def seed_ats(org: Organization, admin: User, candidate: Candidate, words: dict[str, str]):
    """An ATS endpoint, a row of the reasons table, and a delivery waiting for review (its
    reason is not in the table), received through the real endpoint's service."""
    import hashlib
    import hmac
    import json

    made = ats_services.source_create(
        organization=org,
        vendor=Vendor.GREENHOUSE,
        name=words["ats_source"],
        client_name=words["client"],
        by=admin,
    )
    mapping = ats_services.mapping_save(
        organization=org,
        vendor="",
        external_reason=words["ats_mapping"],
        kind=Kind.WITHDREW,
        reason=Reason.UNKNOWN,
    )
    first, _, last = candidate.name.partition(" ")
    body = json.dumps(
        {
            "action": "reject_candidate",
            "payload": {
                "application": {
                    "id": 1,
                    "status": "rejected",
                    "rejected_at": f"{services.today().isoformat()}T09:00:00Z",
                    "rejection_reason": {"name": words["ats_reason"]},
                    "candidate": {
                        "first_name": first,
                        "last_name": last,
                        "email_addresses": [{"value": candidate.email}],
                    },
                    "jobs": [{"name": words["job"]}],
                }
            },
        }
    ).encode()
    signature = hmac.new(made.secret.encode(), body, hashlib.sha256).hexdigest()
    received = ats_services.receive(
        source=made.source, headers={"Signature": f"sha256 {signature}"}, body=body
    )
    return made.source, mapping, received.item


NORTHWIND_PEOPLE = {
    "plain": "Annabel Northwind",
    "stumbled": "Stanislav Stumbleton",
    "requested": "Rhiannon Requester",
    "flagged": "Ferdinand Flagstaff",
    "twin": "Annabel Twinsworth",
}
NORTHWIND_WORDS = {
    "client": "Northwind Acme Holdings",
    "job": "Northwind Forklift Driver",
    "event": "northwind-event-note-7731",
    "note": "northwind-risk-note-4419",
    "pitch": "northwind-pitch-2207",
    "flag": "northwind-flag-reason-5150",
    "reminder": "northwind-reminder-8812",
    "merge": "northwind-merge-reason-6021",
    "token": "northwind-token-name-3160",
    "webhook": "northwind-webhook-path-4480",
    "ats_source": "northwind-ats-source-2741",
    "ats_mapping": "northwind-ats-mapping-5813",
    "ats_reason": "northwind-ats-reason-4096",
}


def two_worlds(org: Organization, other_org: Organization) -> tuple[World, World]:
    """Northwind (`org`) and Rival (`other_org`)."""
    northwind = seed(org, people=NORTHWIND_PEOPLE, words=NORTHWIND_WORDS)
    rival = seed(
        other_org,
        people={
            "plain": "Zebulon Outsider",
            "stumbled": "Xenia Quillfeather",
            "requested": "Yorick Farthingale",
            "flagged": "Wilhelmina Rivalsdottir",
            "twin": "Zebulon Twinrival",
        },
        words={
            "client": "Rival Quasar Industries",
            "job": "Rival Zeppelin Pilot",
            "event": "rival-event-note-9043",
            "note": "rival-risk-note-6671",
            "pitch": "rival-pitch-3388",
            "flag": "rival-flag-reason-1204",
            "reminder": "rival-reminder-5530",
            "merge": "rival-merge-reason-7345",
            "token": "rival-token-name-8274",
            "webhook": "rival-webhook-path-9127",
            "ats_source": "rival-ats-source-6150",
            "ats_mapping": "rival-ats-mapping-3307",
            "ats_reason": "rival-ats-reason-7719",
        },
    )
    return northwind, rival


def one_world(org: Organization) -> World:
    """Northwind alone: for the tests that need one organization's data and no other."""
    return seed(org, people=NORTHWIND_PEOPLE, words=NORTHWIND_WORDS)


def fingerprint() -> tuple:
    """What a refused request must leave as it was: the audit trail grows on every create,
    change and delete of a tracked model; reminders, API tokens and the ATS tables are
    compared row by row."""
    counts = tuple(
        model.history.count() for model in (Candidate, Event, RiskNote, Client, Job, User)
    )
    reminders = tuple(Reminder.objects.order_by("pk").values_list("pk", "state", "due_at"))
    users = tuple(User.objects.order_by("pk").values_list("pk", "is_active", "role", "password"))
    tokens = tuple(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at"))
    webhooks = (
        tuple(Endpoint.objects.order_by("pk").values_list("pk", "url", "events", "salt")),
        tuple(Delivery.objects.order_by("pk").values_list("pk", "state")),
    )
    ats = (
        tuple(InboundSource.objects.order_by("pk").values_list("pk", "revoked_at")),
        tuple(ReasonMapping.objects.order_by("pk").values_list("pk", "key", "kind", "reason")),
        tuple(InboundItem.objects.order_by("pk").values_list("pk", "state", "event_id")),
    )
    return counts, reminders, users, tokens, webhooks, ats
