"""Offline batches: the signed zip of the pending outbox, and its import at the other end, all or
nothing and idempotent, with held replies applied when their enquiry comes in the same batch."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile

import pytest
from django.db import transaction

from renkou.exchange import services, signing
from renkou.exchange.models import Enquiry, Message

from .conftest import RENQIU, XIANXIAN
from .test_inbox import ENQ


def _batch(peer, path, envelopes, *, manifest_key=None):
    lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in envelopes).encode()
    manifest = json.dumps({"node": peer.code, "count": len(envelopes),
                           "sha256": hashlib.sha256(lines).hexdigest()}).encode()
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("messages.jsonl", lines)
        z.writestr("manifest.json", manifest)
        z.writestr("manifest.sig", signing.sign_bytes(manifest_key or peer.key, manifest))
    return path


def test_export_is_signed_and_holds_the_pending_outbox(node, tmp_path):
    n, peer = node
    with transaction.atomic():
        sent = [services.send("enquiry", area_code=XIANXIAN, payload=ENQ) for _ in range(2)]
    result = services.export_batch(tmp_path / "out.zip")
    assert result["count"] == 2
    with zipfile.ZipFile(tmp_path / "out.zip") as z:
        manifest, sig = z.read("manifest.json"), z.read("manifest.sig").decode()
        rows = [json.loads(x) for x in z.read("messages.jsonl").decode().splitlines()]
    assert signing.verify_bytes(n.public_key, manifest, sig)
    assert [r["uid"] for r in rows] == [str(m.uid) for m in sent]
    assert all(signing.verify(n.public_key, r, r["signature"]) for r in rows)


def test_import_applies_in_order_holds_and_is_idempotent(node, tmp_path):
    n, peer = node
    uid = uuid.uuid4()
    feedback = peer.envelope("feedback", {"outcome": "served", "note": ""}, area_code=RENQIU, reply_to=uid)
    enquiry = peer.envelope("enquiry", ENQ, area_code=RENQIU, uid=uid)
    path = _batch(peer, tmp_path / "b.zip", [feedback, enquiry])  # the reply before its enquiry
    assert services.import_batch(path) == {"count": 2, "applied": 1, "held": 1, "already": 0}
    assert Enquiry.objects.get(uid=uid).state == "closed"
    assert set(Message.objects.filter(direction="in").values_list("state", flat=True)) == {"applied"}
    assert services.import_batch(path) == {"count": 2, "applied": 0, "held": 0, "already": 2}
    assert Message.objects.filter(direction="in").count() == 2


def test_a_half_bad_batch_leaves_nothing(node, tmp_path):
    n, peer = node
    good = peer.envelope("enquiry", ENQ, area_code=RENQIU)
    bad = peer.envelope("enquiry", ENQ, area_code=RENQIU)
    bad["payload"] = {**bad["payload"], "name": "王芳"}
    path = _batch(peer, tmp_path / "b.zip", [good, bad])
    with pytest.raises(services.BatchError, match=r"message 2 .*signature does not verify"):
        services.import_batch(path)
    assert not Message.objects.exists() and not Enquiry.objects.exists()


def test_batch_manifest_checked(node, tmp_path):
    n, peer = node
    env = peer.envelope("enquiry", ENQ, area_code=RENQIU)
    forged = _batch(peer, tmp_path / "f.zip", [env], manifest_key=signing.new_private_key())
    with pytest.raises(services.BatchError, match="manifest's signature does not verify"):
        services.import_batch(forged)
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(services.BatchError, match="not a batch file"):
        services.import_batch(tmp_path / "x.zip")
    assert not Message.objects.exists()
