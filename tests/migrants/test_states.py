"""The state machine, every pair of states for both directions; the registration place."""

from __future__ import annotations

import itertools

import pytest

from renkou.core.idnumber import check_character
from renkou.migrants import places, states

EXPECTED = {
    "inflow": {("unconfirmed", "inflow"), ("unconfirmed", "left"), ("inflow", "reconfirm"), ("inflow", "left"),
               ("reconfirm", "inflow"), ("reconfirm", "left")},
    "outflow": {("unconfirmed", "outflow"), ("unconfirmed", "left"),
                ("outflow", "floating"), ("outflow", "not_floating"), ("outflow", "reconfirm"), ("outflow", "left"),
                ("floating", "not_floating"), ("floating", "reconfirm"), ("floating", "left"),
                ("not_floating", "floating"), ("not_floating", "reconfirm"), ("not_floating", "left"),
                ("reconfirm", "outflow"), ("reconfirm", "floating"), ("reconfirm", "not_floating"),
                ("reconfirm", "left")},
}


@pytest.mark.parametrize("direction", ["inflow", "outflow"])
def test_every_pair(direction):
    for a, b in itertools.product(states.STATES, repeat=2):
        if (a, b) in EXPECTED[direction]:
            states.check(direction, a, b)
        else:
            with pytest.raises(states.Refused):
                states.check(direction, a, b)


def test_left_is_final_and_unknown_direction_refused():
    assert states.allowed("inflow", "left") == frozenset() == states.allowed("outflow", "left")
    with pytest.raises(states.Refused):
        states.check("sideways", "unconfirmed", "inflow")


def test_registration_place_order():
    body = "13098219900101002"
    number = body + check_character(body)
    assert places.registration_place("520122100201", "130982100000", number) == places.Place(
        "520122100201", "registered_area", "520122")
    assert places.registration_place(None, "542526", number) == places.Place("542526000000", "home_code", "542526")
    assert places.registration_place(None, "", number) == places.Place("130982000000", "id_number", "130982")
    assert places.registration_place(None, "", "12345") == places.Place("", "", "")
