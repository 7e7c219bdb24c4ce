"""Fixtures of the exchange: this node is Renqiu (任丘市, 130982) and a simulated peer — Xianxian
(献县, 130929), the registration county of some of Renqiu's migrants — signs with its own key."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest

from renkou.exchange import signing

RENQIU = "130982"
XIANXIAN = "130929"


class FakePeer:
    """A peer node outside this database: its key, and envelopes signed by it."""

    def __init__(self, code, prefixes):
        self.code, self.prefixes = code, prefixes
        self.key = signing.new_private_key()
        self.public = signing.public_text(self.key)

    def envelope(self, kind, payload, *, area_code, recipient="renqiu", reply_to=None, urgent=False,
                 created_at=None, uid=None):
        env = {"uid": str(uid or uuid.uuid4()), "kind": kind, "sender": self.code, "recipient": recipient,
               "area_code": area_code, "payload": copy.deepcopy(payload), "reply_to": str(reply_to) if reply_to else None,
               "urgent": urgent,
               "created_at": (created_at or dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)).isoformat()}
        env["signature"] = signing.sign(self.key, env)
        return env


@pytest.fixture
def node(db, settings, tmp_path):
    from renkou.exchange import services

    settings.HOME = tmp_path
    n = services.init_node("renqiu", "任丘市人口服务", prefixes=[RENQIU])
    peer = FakePeer("xianxian", [XIANXIAN])
    services.set_peer("xianxian", name="献县", url="http://127.0.0.1:1", public_key=peer.public,
                      token="t", prefixes=[XIANXIAN])
    return n, peer


@pytest.fixture
def make_person_renqiu(seed_areas):
    from renkou.core.idnumber import check_character
    from renkou.registry.models import Person

    body = "13098219900101002"
    village = next(code for code in seed_areas if code.startswith("130982") and len(code) == 12)
    return Person.objects.create(name="李芳", sex=2, birth_date=dt.date(1990, 1, 1),
                                 id_number=body + check_character(body),
                                 registered_area_id=village, resident_area_id=village)
