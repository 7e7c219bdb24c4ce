"""Machine-peer API of the exchange: ``POST /api/exchange/inbox`` (a peer's bearer token, and each
message signed by the sending node) and ``GET /api/exchange/node`` (this node's identity)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema

from renkou.core import roles, scoping

from . import services

router = Router(tags=["exchange"])


class Envelope(Schema):
    uid: str
    kind: str
    sender: str
    recipient: str
    area_code: str
    payload: dict
    reply_to: str | None = None
    urgent: bool = False
    created_at: str
    signature: str = ""


class Batch(Schema):
    messages: list[Envelope]


class Result(Schema):
    uid: str
    outcome: str
    reason: str = ""


class Results(Schema):
    results: list[Result]


class Identity(Schema):
    code: str
    name: str
    public_key: str
    prefixes: list[str]


@router.post("/inbox", response={200: Results, 403: dict}, url_name="exchange_inbox", summary="Receive signed messages from a peer node")
def inbox(request, data: Batch):
    """Each message is verified (signature with the sender's directory key, entitlement to the
    area) and applied once: a uid received before answers ``already``; a reply whose enquiry is
    unknown yet is ``held``; a refused message answers ``refused`` with the reason (and is logged)."""
    if not scoping.has_perm(request.auth, roles.EXCHANGE_SUBMIT):
        raise PermissionDenied("a machine-peer token is needed")
    out = []
    for env in data.messages:
        msg, outcome = services.receive(env.dict())
        out.append({"uid": env.uid, "outcome": outcome, "reason": msg.reason if outcome == "refused" else ""})
    return {"results": out}


@router.get("/node", response={200: Identity, 404: dict}, auth=None, url_name="exchange_node",
            summary="This node's identity and public key")
def node(request):
    try:
        return services.identity()
    except services.NotInitialised as exc:
        return 404, {"detail": str(exc)}
