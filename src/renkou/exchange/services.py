"""The exchange's business logic: node identity, the peer directory, the outbox (``send``), the
inbox (``receive``: signature, entitlement, idempotence, held replies), delivery, and the enquiry
cases' deadlines and counts.

Entitlement (who may send what for which area), checked on receipt before anything is applied:

* every message: the sender is a peer of the directory, the signature verifies with the sender's
  public key from the directory, the recipient is this node, and this node's code is the
  recipient;
* ``enquiry`` and ``notification`` concern a person *registered* in ``area_code``, which this node
  must serve (it starts with one of this node's own prefixes, given at ``exchange init``); the
  sender speaks for the person's place of residence: a notification's ``residence_area``, when
  given, must be an area the directory gives to the sender (an enquiry carries no residence — data
  minimisation — so its sender's right is its directory entry and its signature, and every later
  reply of the case is bound to the two nodes of the enquiry);
* ``match`` and ``check`` come from the registration node: the sender must be the node the enquiry
  was sent to and its directory prefixes must cover ``area_code``;
* ``feedback`` comes from the enquiring node: the sender must be the node that sent the enquiry.

A reply (match, check, feedback) whose enquiry is not known yet is HELD, and applied when the
enquiry arrives.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import uuid
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from renkou.core import audit

from . import handlers, messages, signing, worker
from .models import Direction, Enquiry, EnquiryState, Message, Node, Peer, PeerPrefix, State


class NoRoute(ValueError):
    """No peer of the directory serves the area."""


class Refused(ValueError):
    """A received message refused (signature, entitlement, schema)."""


class NotInitialised(RuntimeError):
    pass


# ---------------------------------------------------------------- identity


def key_path(code: str) -> Path:
    return Path(settings.HOME) / "exchange" / f"{code}.key"


@transaction.atomic
def init_node(code: str, name: str, *, prefixes: list[str] | None = None) -> Node:
    """Create this node's identity (a new Ed25519 key pair; the private key in a 0600 file under
    the data directory). Re-running with the same code keeps the key."""
    path = key_path(code)
    if path.exists():
        key = signing.read_private_key(path)
    else:
        key = signing.new_private_key()
        signing.write_private_key(key, path)
    node = Node.objects.first()
    if node is not None and node.code != code:
        raise ValueError(f"this database is already node {node.code}")
    if node is None:
        node = Node(code=code)
    node.name, node.public_key, node.key_path = name, signing.public_text(key), str(path)
    if prefixes is not None:
        for p in prefixes:
            if not (p.isdigit() and 2 <= len(p) <= 12):
                raise ValueError(f"{p!r} is not an area-code prefix of 2 to 12 digits")
        node.prefixes = sorted(set(prefixes))
    node.save()
    _private_key.cache_clear()
    return node


_BATCH_NODE: contextvars.ContextVar[Node | None] = contextvars.ContextVar("renkou_batch_node", default=None)


def this_node() -> Node:
    node = _BATCH_NODE.get()  # read once for a whole batch file (import_batch)
    if node is not None:
        return node
    node = Node.objects.first()
    if node is None:
        raise NotInitialised("this node has no identity yet: run `renkou exchange init --code … --name …`")
    return node


@lru_cache(maxsize=4)
def _cached_key(path: str):
    return signing.read_private_key(Path(path))


def _private_key():
    return _cached_key(this_node().key_path)


_private_key.cache_clear = _cached_key.cache_clear  # type: ignore[attr-defined]


# ---------------------------------------------------------------- directory


def routes() -> list[messages.Route]:
    return [messages.Route(p, n) for p, n in PeerPrefix.objects.values_list("prefix", "peer__code")]


def route_for(area_code: str) -> Peer:
    if not messages.valid_area(area_code):
        raise NoRoute(f"{area_code!r} is not an area code of 6 to 12 digits")
    found = messages.route(area_code, routes())
    if found is None:
        raise NoRoute(f"no peer node of the directory serves area {area_code}: import a directory "
                      "entry whose prefix it starts with")
    return Peer.objects.get(code=found.node)


def serves(peer_code: str, area_code: str) -> bool:
    found = messages.route(area_code, routes())
    return found is not None and found.node == peer_code


@transaction.atomic
def set_peer(code: str, *, name: str, url: str, public_key: str, token: str = "",
             prefixes: list[str]) -> Peer:
    signing.public_from_text(public_key)
    for p in prefixes:
        if not (p.isdigit() and 2 <= len(p) <= 12):
            raise ValueError(f"{p!r} is not an area-code prefix of 2 to 12 digits")
    peer, _ = Peer.objects.update_or_create(code=code, defaults={
        "name": name, "url": url.rstrip("/"), "public_key": public_key, "token": token})
    peer.prefixes.exclude(prefix__in=prefixes).delete()
    for p in prefixes:
        other = PeerPrefix.objects.filter(prefix=p).exclude(peer=peer).first()
        if other is not None:
            raise ValueError(f"prefix {p} is already served by {other.peer.code}")
        PeerPrefix.objects.get_or_create(peer=peer, prefix=p)
    return peer


# ---------------------------------------------------------------- outbox


def _now():
    return timezone.now().replace(microsecond=0)


def send(kind: str, *, area_code: str, payload: dict, person=None, reply_to=None, urgent: bool = False,
         user=None, recipient: str | None = None) -> Message:
    """Write a message to the outbox, in the caller's transaction (which must be open). Routed by
    ``area_code`` to the peer serving the longest prefix (``NoRoute`` when none); a reply goes to
    the other end of its enquiry. After the commit, the node's worker (if one runs) is woken."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("exchange.services.send must be called inside transaction.atomic")
    body = messages.validate(kind, payload)
    node = this_node()
    case = None
    if kind in messages.REPLY_KINDS:
        if reply_to is None:
            raise ValueError(f"a {kind} message replies to an enquiry: give reply_to")
        case = Enquiry.objects.select_for_update().filter(uid=reply_to).first()
        if case is None:
            raise ValueError(f"unknown enquiry {reply_to}")
        if kind == "check":
            messages.validate_check_facts(case.asks, body["facts"])
        recipient = case.enquirer if case.role == Enquiry.Role.REGISTRATION else case.registration_node
    if recipient is None:
        recipient = route_for(area_code).code
    elif not Peer.objects.filter(code=recipient).exists():
        raise NoRoute(f"{recipient} is not a peer node of the directory")
    created = _now()
    msg = Message(uid=uuid.uuid4(), kind=kind, sender=node.code, recipient=recipient,
                  area_code=area_code, payload=body, reply_to=reply_to, urgent=urgent,
                  created_at=created, direction=Direction.OUT, state=State.PENDING,
                  next_attempt_at=created)
    if kind == "enquiry":
        msg.deadline = messages.deadline(timezone.localdate(created), urgent)
    msg.signature = signing.sign(_private_key(), msg.envelope())
    msg.save()
    worker.nudge_after_commit()  # delivered at once when a worker runs
    audit.record("exchange.send", msg, user=user, area_code=area_code,
                 detail={"kind": kind, "uid": str(msg.uid), "to": recipient,
                         "person": getattr(person, "pk", person)})
    if kind == "enquiry":
        residence = ""
        if person is not None:
            residence = (getattr(person, "residence_area_id", None) or getattr(person, "resident_area_id", None)
                         or "")
        Enquiry.objects.create(
            uid=msg.uid, role=Enquiry.Role.ENQUIRING, enquirer=node.code, registration_node=recipient,
            area_code=area_code, residence_area=residence, local_area=residence, asks=body["asks"], urgent=urgent,
            opened_on=timezone.localdate(created), period=messages.period_of(timezone.localdate(created)),
            deadline=msg.deadline)
    elif case is not None:
        _bookkeep(case, msg)
    return msg


# ---------------------------------------------------------------- inbox


def _parse(envelope: dict) -> dict:
    missing = [f for f in (*messages.ENVELOPE_FIELDS, "signature") if f not in envelope]
    if missing:
        raise Refused(f"envelope lacks {', '.join(missing)}")
    return envelope


def _refuse(envelope: dict, reason: str) -> Message:
    """Record a refused message (outside the failed transaction) and audit it."""
    uid = envelope.get("uid")
    try:
        uid = uuid.UUID(str(uid))
    except ValueError:
        uid = uuid.uuid4()
    with transaction.atomic():
        msg = Message.objects.filter(uid=uid, direction=Direction.IN).first()
        if msg is None or msg.state != State.REFUSED:
            msg = Message(uid=uuid.uuid4() if msg is not None else uid,
                          kind=str(envelope.get("kind", ""))[:20], sender=str(envelope.get("sender", ""))[:40],
                          recipient=str(envelope.get("recipient", ""))[:40],
                          area_code=str(envelope.get("area_code", ""))[:12],
                          payload={}, created_at=_now(), signature=str(envelope.get("signature") or "")[:120],
                          direction=Direction.IN, state=State.REFUSED, received_at=_now(), reason=reason[:300])
            msg.save()
        audit.record("exchange.refuse", msg, area_code=msg.area_code,
                     detail={"uid": str(envelope.get("uid")), "sender": msg.sender, "reason": reason})
    return msg


def receive(envelope: dict) -> tuple[Message, str]:
    """Receive one signed message: ``(message, outcome)`` where outcome is ``applied``, ``held``,
    ``already`` (a uid received before: nothing done) or ``refused`` (the reason in
    ``message.reason``)."""
    try:
        with transaction.atomic():
            return _receive(envelope)
    except Refused as exc:
        return _refuse(envelope, str(exc)), "refused"


def _check(envelope: dict) -> tuple[Peer, dict]:
    _parse(envelope)
    node = this_node()
    peer = Peer.objects.filter(code=envelope["sender"]).first()
    if peer is None:
        raise Refused(f"sender {envelope['sender']!r} is not a peer of the directory")
    if not envelope.get("signature"):
        raise Refused("unsigned")
    if not signing.verify(peer.public_key, envelope, envelope["signature"]):
        raise Refused("signature does not verify with the sender's public key")
    if envelope["recipient"] != node.code:
        raise Refused(f"addressed to {envelope['recipient']}, not to this node {node.code}")
    try:
        body = messages.validate(envelope["kind"], envelope["payload"])
        uuid.UUID(str(envelope["uid"]))
        dt.datetime.fromisoformat(envelope["created_at"])
    except ValueError as exc:
        raise Refused(str(exc)) from None
    kind, area = envelope["kind"], envelope["area_code"]
    if not messages.valid_area(area):
        raise Refused(f"area {area!r} is not an area code")
    if kind in ("enquiry", "notification"):
        if not serves_here(area):
            raise Refused(f"area {area} is not served by this node")
        if kind == "notification" and body["residence_area"] and not serves(peer.code, body["residence_area"]):
            raise Refused(f"sender {peer.code} does not serve the residence area {body['residence_area']}")
        if kind == "enquiry" and envelope["reply_to"]:
            raise Refused("an enquiry replies to nothing")
    else:
        if not envelope["reply_to"] or not _is_uuid(envelope["reply_to"]):
            raise Refused(f"a {kind} message must reply to an enquiry")
        if kind in ("match", "check") and not serves(peer.code, area):
            raise Refused(f"sender {peer.code} is not entitled to answer for area {area}")
    return peer, body


def serves_here(area: str) -> bool:
    """This node serves the area: it starts with one of the node's own prefixes."""
    return any(area.startswith(p) for p in this_node().prefixes)


def _receive(envelope: dict) -> tuple[Message, str]:
    existing = Message.objects.filter(uid=envelope.get("uid"), direction=Direction.IN)\
        .exclude(state=State.REFUSED).first() if _is_uuid(envelope.get("uid")) else None
    if existing is not None:
        return existing, "already"
    peer, body = _check(envelope)
    created = dt.datetime.fromisoformat(envelope["created_at"])
    msg = Message(uid=uuid.UUID(str(envelope["uid"])), kind=envelope["kind"], sender=peer.code,
                  recipient=envelope["recipient"], area_code=envelope["area_code"], payload=body,
                  reply_to=uuid.UUID(str(envelope["reply_to"])) if envelope["reply_to"] else None,
                  urgent=bool(envelope["urgent"]), created_at=created,
                  signature=envelope["signature"], direction=Direction.IN, state=State.HELD,
                  received_at=_now())
    if msg.kind == "enquiry":
        msg.deadline = messages.deadline(timezone.localdate(created), msg.urgent)
    msg.save()
    audit.record("exchange.receive", msg, area_code=msg.area_code,
                 detail={"kind": msg.kind, "uid": str(msg.uid), "from": peer.code})
    if msg.kind in messages.REPLY_KINDS and not Enquiry.objects.filter(uid=msg.reply_to).exists():
        return msg, "held"
    _apply(msg)
    return msg, "applied"


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def _apply(msg: Message) -> None:
    if msg.kind in messages.REPLY_KINDS:
        case = Enquiry.objects.select_for_update().get(uid=msg.reply_to)
        expected = case.registration_node if msg.kind in ("match", "check") else case.enquirer
        if msg.sender != expected:
            raise Refused(f"{msg.kind} for enquiry {case.uid} must come from {expected}, not {msg.sender}")
    handlers.apply(msg)
    msg.state, msg.applied_at = State.APPLIED, _now()
    msg.save(update_fields=["state", "applied_at"])
    if msg.kind == "enquiry":
        for held in Message.objects.filter(reply_to=msg.uid, direction=Direction.IN, state=State.HELD)\
                .order_by("created_at", "id"):
            _apply(held)


# ---------------------------------------------------------------- the exchange's own handlers


def _on_enquiry(msg: Message) -> None:
    """A received enquiry opens the case here and is answered at once by a match result: the
    register searched by ID number, else by name + sex + birth date."""
    from renkou.registry.models import Person

    p = msg.payload
    opened = timezone.localdate(msg.created_at)
    case = Enquiry.objects.create(
        uid=msg.uid, role=Enquiry.Role.REGISTRATION, enquirer=msg.sender, registration_node=msg.recipient,
        area_code=msg.area_code, local_area=msg.area_code, asks=p["asks"], urgent=msg.urgent, opened_on=opened,
        period=messages.period_of(opened), deadline=msg.deadline or messages.deadline(opened, msg.urgent))
    qs = Person.objects.filter(registered_area__code__startswith=msg.area_code[:6])
    person = qs.filter(id_number=p["id_number"]).first() or qs.filter(
        name=p["name"], sex=p["sex"], birth_date=p["birth_date"]).first()
    case.found = person is not None
    case.person_id = person.pk if person else None
    case.registered_area = (person.registered_area_id or "") if person else ""
    case.save()
    send("match", area_code=msg.area_code, reply_to=msg.uid,
         payload={"found": case.found, "registered_area": case.registered_area})


def _bookkeep(case: Enquiry, msg: Message) -> None:
    """The case's state after a match, check or feedback (sent or received)."""
    day = timezone.localdate(msg.created_at) if isinstance(msg.created_at, dt.datetime) else timezone.localdate()
    if msg.kind == "match":
        case.found = msg.payload["found"]
        case.registered_area = msg.payload["registered_area"]
        if case.state == EnquiryState.OPENED:
            case.state = EnquiryState.MATCHED
        if not case.found and case.answered_on is None:
            case.answered_on = day  # "not registered here" is an answer
    elif msg.kind == "check":
        if case.state in (EnquiryState.OPENED, EnquiryState.MATCHED):
            case.state = EnquiryState.CHECKED
        if case.answered_on is None:
            case.answered_on = day
    elif msg.kind == "feedback":
        case.state, case.closed_on, case.outcome = EnquiryState.CLOSED, day, msg.payload["outcome"]
    case.save()


def _on_reply(msg: Message) -> None:
    _bookkeep(Enquiry.objects.get(uid=msg.reply_to), msg)


handlers.register("enquiry", _on_enquiry)
for _kind in messages.REPLY_KINDS:
    handlers.register(_kind, _on_reply)


# ---------------------------------------------------------------- deadlines and counts


def _under(prefix: str) -> Q:
    return Q(local_area__startswith=prefix)


def overdue(prefix: str, as_of: dt.date):
    """Enquiry cases of an area (this node's end: the residence area of an enquiry sent, the
    registration area of one received) overdue on ``as_of``: not answered by their deadline."""
    qs = Enquiry.objects.filter(_under(prefix))
    return qs.filter(Q(answered_on__isnull=True, deadline__lt=as_of) & ~Q(state=EnquiryState.CLOSED)
                     | Q(answered_on__isnull=False, answered_on__gt=F("deadline")))


def enquiry_counts(prefix: str, period: str, *, as_of: dt.date | None = None) -> dict:
    """Enquiries of a period (the month to its 20th: see ``messages.period_of``) of an area:
    ``sent`` (by this node), ``received``, ``answered`` (within their deadline), ``overdue``, ``open``."""
    as_of = as_of or timezone.localdate()
    qs = Enquiry.objects.filter(_under(prefix), period=period)
    late = Q(answered_on__isnull=True, deadline__lt=as_of) & ~Q(state=EnquiryState.CLOSED) \
        | Q(answered_on__isnull=False, answered_on__gt=F("deadline"))
    row = qs.aggregate(
        sent=Count("id", filter=Q(role=Enquiry.Role.ENQUIRING)),
        received=Count("id", filter=Q(role=Enquiry.Role.REGISTRATION)),
        answered=Count("id", filter=Q(answered_on__isnull=False, answered_on__lte=F("deadline"))),
        overdue=Count("id", filter=late),
        open=Count("id", filter=~Q(state=EnquiryState.CLOSED)),
    )
    return {k: int(v or 0) for k, v in row.items()}


# ---------------------------------------------------------------- delivery

BACKOFF_BASE = 30  # seconds: 30, 60, 120, … capped at BACKOFF_CAP
BACKOFF_CAP = 6 * 3600
TIMEOUT = 10


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1)))


def post(peer: Peer, envelopes: list[dict]) -> tuple[int, dict]:
    """POST signed envelopes to a peer's inbox; (status, body)."""
    import json
    import urllib.error
    import urllib.request

    req = urllib.request.Request(f"{peer.url}/api/exchange/inbox", method="POST",
                                 data=json.dumps({"messages": envelopes}).encode("utf-8"),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {peer.token}"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {"detail": exc.read()[:300].decode("utf-8", "replace")}


def due(now=None):
    now = now or timezone.now()
    return Message.objects.filter(direction=Direction.OUT, state=State.PENDING)\
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)).order_by("created_at", "id")


def deliver_message(msg: Message) -> bool:
    """Deliver one outbox message; marked delivered only after the peer's 2xx (a crash before
    leaves it pending: redelivered, and applied once at the other end by idempotence)."""
    peer = Peer.objects.filter(code=msg.recipient).first()
    error = ""
    if peer is None:
        error = f"{msg.recipient} is no longer in the directory"
    else:
        try:
            status, body = post(peer, [msg.signed()])
        except OSError as exc:
            status, body, error = 0, {}, f"{type(exc).__name__}: {exc}"[:500]
        if 200 <= status < 300:
            Message.objects.filter(pk=msg.pk).update(state=State.DELIVERED, delivered_at=timezone.now(),
                                                     attempts=msg.attempts + 1, last_error="")
            return True
        error = error or f"HTTP {status}: {body.get('detail', '')}"[:500]
    attempts = msg.attempts + 1
    Message.objects.filter(pk=msg.pk).update(attempts=attempts, last_error=error,
                                             next_attempt_at=timezone.now() + backoff(attempts))
    return False


def deliver(*, now=None, limit: int | None = None, force: bool = False) -> dict:
    """Deliver every due outbox message once (``force``: also those waiting for their back-off):
    ``{"delivered": n, "failed": m}``."""
    out = {"delivered": 0, "failed": 0}
    qs = due(now) if not force else Message.objects.filter(direction=Direction.OUT, state=State.PENDING)\
        .order_by("created_at", "id")
    for msg in (qs[:limit] if limit else qs):
        out["delivered" if deliver_message(msg) else "failed"] += 1
    return out


def status() -> dict:
    node = Node.objects.first()
    counts = {f"{d}_{s}": 0 for d in Direction.values for s in State.values}
    for row in Message.objects.values("direction", "state").annotate(n=Count("id")):
        counts[f"{row['direction']}_{row['state']}"] = row["n"]
    errors = list(Message.objects.filter(direction=Direction.OUT, state=State.PENDING).exclude(last_error="")
                  .order_by("-next_attempt_at").values("uid", "recipient", "attempts", "last_error")[:10])
    refused = list(Message.objects.filter(direction=Direction.IN, state=State.REFUSED)
                   .order_by("-received_at").values("uid", "sender", "kind", "reason")[:10])
    for row in errors + refused:
        row["uid"] = str(row["uid"])
    return {"node": node.code if node else None, "counts": counts, "last_errors": errors, "refused": refused,
            "enquiries": {s: Enquiry.objects.filter(state=s).count() for s in EnquiryState.values}}


# ---------------------------------------------------------------- directory file


def import_directory(path: Path) -> int:
    """A directory file (YAML: a list of peers with code, name, url, public_key, token, prefixes;
    or CSV: one row per prefix), all or nothing."""
    from .directory import read_directory

    entries = read_directory(Path(path))
    with transaction.atomic():
        for e in entries:
            set_peer(e["code"], name=e["name"], url=e["url"], public_key=e["public_key"],
                     token=e.get("token", ""), prefixes=e["prefixes"])
        audit.record("exchange.directory", object_type="exchange.peer", object_repr=str(path),
                     detail={"peers": [e["code"] for e in entries]})
    return len(entries)


def identity() -> dict:
    node = this_node()
    return {"code": node.code, "name": node.name, "public_key": node.public_key, "prefixes": node.prefixes}


# ---------------------------------------------------------------- offline batches


class BatchError(ValueError):
    pass


def export_batch(path: Path) -> dict:
    """The pending outbox as one zip: ``messages.jsonl`` (signed envelopes, in order),
    ``manifest.json`` (node, count, SHA-256 of messages.jsonl) and ``manifest.sig`` (the node's
    signature of manifest.json). The messages stay pending until delivered otherwise or marked by
    ``--mark-delivered``."""
    import hashlib
    import json
    import zipfile

    node = this_node()
    rows = list(Message.objects.filter(direction=Direction.OUT, state=State.PENDING).order_by("created_at", "id"))
    lines = "".join(json.dumps(m.signed(), ensure_ascii=False, sort_keys=True) + "\n" for m in rows).encode()
    manifest = json.dumps({"node": node.code, "created_at": _now().isoformat(), "count": len(rows),
                           "sha256": hashlib.sha256(lines).hexdigest(),
                           "recipients": sorted({m.recipient for m in rows})}, sort_keys=True).encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("messages.jsonl", lines)
        z.writestr("manifest.json", manifest)
        z.writestr("manifest.sig", signing.sign_bytes(_private_key(), manifest))
    audit.record("exchange.export", object_type="exchange.batch", object_repr=str(path),
                 detail={"count": len(rows), "uids": [str(m.uid) for m in rows][:1000]})
    return {"count": len(rows), "file": str(path)}


def import_batch(path: Path) -> dict:
    """Apply a batch file with the checks of the inbox, all or nothing: the manifest's signature
    and hash, then every message (signature, entitlement, idempotence, held replies) in one
    transaction; one refused message refuses the whole batch and leaves nothing."""
    import hashlib
    import json
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            lines, manifest, sig = z.read("messages.jsonl"), z.read("manifest.json"), z.read("manifest.sig")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise BatchError(f"{path}: not a batch file ({exc})") from None
    head = json.loads(manifest)
    peer = Peer.objects.filter(code=head.get("node")).first()
    if peer is None:
        raise BatchError(f"{path}: sender {head.get('node')!r} is not a peer of the directory")
    if not signing.verify_bytes(peer.public_key, manifest, sig.decode("ascii", "replace")):
        raise BatchError(f"{path}: the manifest's signature does not verify with {peer.code}'s public key")
    if hashlib.sha256(lines).hexdigest() != head.get("sha256"):
        raise BatchError(f"{path}: messages.jsonl does not match the manifest's SHA-256")
    envelopes = [json.loads(x) for x in lines.decode("utf-8").splitlines() if x.strip()]
    if len(envelopes) != head.get("count"):
        raise BatchError(f"{path}: {len(envelopes)} messages, the manifest says {head.get('count')}")
    out = {"applied": 0, "held": 0, "already": 0}
    node = _BATCH_NODE.set(this_node())
    try:
        with transaction.atomic(), audit.buffered():  # the batch's audit events appended together, in order
            out = _import_envelopes(path, peer, envelopes, out)
    finally:
        _BATCH_NODE.reset(node)
    return {"count": len(envelopes), **out}


def _import_envelopes(path: Path, peer: Peer, envelopes: list[dict], out: dict) -> dict:
    for n, env in enumerate(envelopes, start=1):
        if env.get("sender") != peer.code:
            raise BatchError(f"{path} message {n}: sender {env.get('sender')!r} is not the batch's node")
        try:
            with transaction.atomic():
                _, outcome = _receive(env)
        except Refused as exc:
            raise BatchError(f"{path} message {n} ({env.get('uid')}): refused: {exc}") from None
        out[outcome] += 1
    audit.record("exchange.import", object_type="exchange.batch", object_repr=str(path),
                 detail={"from": peer.code, **out})
    return out
