"""With the exchange installed: the arrival goes to the outbox of the node serving the registration
area, in the same transaction; no peer for the area → the action succeeds and nothing is sent;
a received notification reaches the handler registered in ``ready()``."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.exchange import handlers, signing
from renkou.exchange import services as exchange
from renkou.exchange.models import Message
from renkou.migrants import services
from renkou.migrants.models import MigrantRecord
from tests.migrants.test_services import migrants  # noqa: F401
from tests.registry.conftest import COUNTY


@pytest.fixture
def xifeng_node(db, settings, tmp_path):
    settings.HOME = tmp_path
    exchange.init_node("xifeng", "息烽县人口服务", prefixes=["520122"])
    key = signing.new_private_key()
    exchange.set_peer("renqiu", name="任丘市", url="http://127.0.0.1:1", public_key=signing.public_text(key),
                      token="t", prefixes=["130982"])


def test_arrival_in_the_outbox(migrants, officers, xifeng_node):  # noqa: F811
    record = MigrantRecord.objects.get(person=migrants.a)
    services.register_inflow(user=officers["village_a"], record=record, reason="visited")
    msg = Message.objects.get(kind="notification")
    assert (msg.recipient, msg.area_code, msg.payload["event"], msg.payload["id_number"]) == (
        "renqiu", "130982100000", "arrival", migrants.a.id_number)


def test_no_peer_for_the_area(migrants, officers, xifeng_node):  # noqa: F811
    record = MigrantRecord.objects.get(person=migrants.b)  # registered in 542526: no peer serves it
    services.record_departure(user=officers["county"], record=record, on=dt.date(2026, 12, 1))
    assert MigrantRecord.objects.get(pk=record.pk).state == "left"
    assert not Message.objects.filter(kind="notification").exists()


def test_handler_registered():
    assert services.handle_notification in handlers.handlers_for("notification")
    assert COUNTY
