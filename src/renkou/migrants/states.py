"""The migrant record's state machine (流动人口状态), pure: no Django.

States are the registry's floating-population states (``Person.Migrant``). A record has a
direction: ``inflow`` (lives here, registered elsewhere) or ``outflow`` (registered here, lives
elsewhere). Which state may follow which depends on the direction; ``left`` ends a record.
"""

from __future__ import annotations

UNCONFIRMED = "unconfirmed"
RECONFIRM = "reconfirm"
INFLOW = "inflow"
OUTFLOW = "outflow"
FLOATING = "floating"
NOT_FLOATING = "not_floating"
LEFT = "left"

STATES = (UNCONFIRMED, RECONFIRM, INFLOW, OUTFLOW, FLOATING, NOT_FLOATING, LEFT)
DIRECTIONS = ("inflow", "outflow")

# direction → state → the states that may follow it
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    "inflow": {
        UNCONFIRMED: frozenset({INFLOW, LEFT}),
        INFLOW: frozenset({RECONFIRM, LEFT}),
        RECONFIRM: frozenset({INFLOW, LEFT}),
        LEFT: frozenset(),
    },
    "outflow": {
        UNCONFIRMED: frozenset({OUTFLOW, LEFT}),
        OUTFLOW: frozenset({FLOATING, NOT_FLOATING, RECONFIRM, LEFT}),
        FLOATING: frozenset({NOT_FLOATING, RECONFIRM, LEFT}),
        NOT_FLOATING: frozenset({FLOATING, RECONFIRM, LEFT}),
        RECONFIRM: frozenset({OUTFLOW, FLOATING, NOT_FLOATING, LEFT}),
        LEFT: frozenset(),
    },
}


class Refused(ValueError):
    """A transition the state machine does not allow."""


def allowed(direction: str, state: str) -> frozenset[str]:
    if direction not in ALLOWED:
        raise Refused(f"unknown direction {direction!r}")
    return ALLOWED[direction].get(state, frozenset())


def check(direction: str, state: str, target: str) -> None:
    """Raise :class:`Refused` unless ``state`` → ``target`` is allowed for ``direction``."""
    if target not in allowed(direction, state):
        raise Refused(f"{direction}: {state} → {target} is not allowed")
