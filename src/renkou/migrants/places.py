"""Where a migrant is registered (户籍地), derived from the register's fields, pure: no Django.

The registered area (an area of this register) wins; else the place of household registration
``home_code`` kept for persons registered in another county; else the ID number's address code
(its first six digits, the county where the number was issued). The source is named so a page can
say how the place was found.
"""

from __future__ import annotations

from dataclasses import dataclass

from renkou.core import areacodes, idnumber


@dataclass(frozen=True)
class Place:
    code: str  # a 12-digit division code, or "" when nothing is known
    source: str  # "registered_area" | "home_code" | "id_number" | ""
    county: str  # the 6-digit county code ("" when unknown)


def registration_place(registered_area: str | None, home_code: str | None, id_number: str | None) -> Place:
    if registered_area:
        code = areacodes.full_code(registered_area)
        return Place(code, "registered_area", code[:6])
    if home_code:
        code = areacodes.full_code(home_code)
        return Place(code, "home_code", code[:6])
    if id_number:
        info = idnumber.inspect(id_number)
        if info.birthplace_code:
            return Place(areacodes.full_code(info.birthplace_code), "id_number", info.birthplace_code)
    return Place("", "", "")
