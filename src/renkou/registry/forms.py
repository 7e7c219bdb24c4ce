"""Forms of the register's pages: thin, the checks themselves are in services and checks.

Persons are never offered in a list (a county holds 100,000 and more): a form takes an ID number or
a record key (the import's ``person_key``, or ``#`` and the record number shown on the person page)
and resolves it in ``clean()`` within the persons the page passes in — the user's capture scope.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from renkou.core import idnumber

from .models import Event, Person, ServiceRecord, Sex


def person_ref(p: Person | None) -> str:
    """What a form field shows for a person: the ID number, else the record key, else ``#pk``."""
    if p is None:
        return ""
    return p.id_number or p.source_key or f"#{p.pk}"


def resolve_person(persons, text: str) -> Person:
    """The one person of ``persons`` (a scoped queryset) named by an ID number or a record key.

    Raises a ValidationError that says so when nobody in ``persons`` matches: outside the user's
    areas and not in the register look alike, so the message reveals nothing about other areas."""
    text = (text or "").strip()
    cleaned = idnumber.clean(text)
    found = None
    if len(cleaned) in (15, 18) and cleaned[:14].isdigit():
        number = idnumber.inspect(text).number or cleaned
        found = persons.filter(id_number=number).first()
    if found is None and text:
        found = persons.filter(source_key=text).first()
    if found is None and text.lstrip("#").isdigit() and len(text.lstrip("#")) < 15:
        found = persons.filter(pk=int(text.lstrip("#"))).first()
    if found is None:
        raise forms.ValidationError(
            _("No person with the ID number or record key “%(ref)s” in the areas where you enter data "
              "(outside your areas, or not in the register)."), code="not_in_scope", params={"ref": text[:40]})
    return found


class PersonRefField(forms.CharField):
    """An ID number or record key; the form resolves it to a person of its scope."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _("ID number, or record key (#number on the person page)"))
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("autocomplete", "off")
        self.widget.attrs.setdefault("size", 22)


class ScopedPersonsMixin:
    """Resolves the :class:`PersonRefField` fields named in ``person_fields`` within ``self.persons``."""

    person_fields: tuple[str, ...] = ()

    def _resolve(self, name: str):
        text = self.cleaned_data.get(name)
        if not text:
            return None
        return resolve_person(self.persons, text)

    def clean(self):
        data = super().clean()
        for name in self.person_fields:
            if name in self.fields and name not in self.errors:
                try:
                    data[name] = self._resolve(name)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data


class AreaSelect(forms.Select):
    """The area picker, drawn in one pass: a county officer's list holds hundreds of villages and groups,
    and Django's select renders a template per option (most of an entry page's time)."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = set(self.format_value(value))
        options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (str(v), mark_safe(" selected") if str(v) in chosen else "", label) for v, label in self.choices))
        return format_html("<select{}>{}</select>", flatatt(final), options)


def _area_choices(areas) -> list[tuple[str, str]]:
    return [(a.code, f"{a.name} ({a.code})") for a in areas]


def _date(label, **kw):
    # ISO dates: what <input type="date"> reads, whatever the page's language
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kw)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("ID number, name, pinyin or household number"), required=False, max_length=60)


class BirthForm(ScopedPersonsMixin, forms.Form):
    """Declaration of a birth (出生申报) by a village officer."""

    person_fields = ("mother", "father")

    name = forms.CharField(label=_("child's name"), max_length=60)
    sex = forms.TypedChoiceField(label=_("sex"), choices=[(Sex.MALE, Sex.MALE.label), (Sex.FEMALE, Sex.FEMALE.label)],
                                 coerce=int)
    event_date = _date(_("date of birth"))
    registration_date = _date(_("registration date"))
    area = forms.ChoiceField(label=_("area at the birth"), widget=AreaSelect)
    mother = PersonRefField(label=_("mother"))
    father = PersonRefField(label=_("father"), required=False)
    birth_order = forms.IntegerField(
        label=_("birth order"), min_value=1, max_value=20,
        help_text=_("Suggested from the mother's children in the register once she is looked up; correct it "
                    "if the register is incomplete."))
    plurality = forms.IntegerField(label=_("plurality"), min_value=1, max_value=8, initial=1)
    delivery_place = forms.ChoiceField(label=_("place of delivery"), choices=Event.Delivery.choices, required=False)

    def __init__(self, *args, persons=None, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = _area_choices(areas)
        self.persons = persons if persons is not None else Person.objects.none()

    def look_up_mother(self, text: str) -> Person:
        """The mother named in the form (ID number or record key) within the form's persons, for the
        "look up" step before the declaration; raises the same ValidationError as the declaration."""
        return resolve_person(self.persons, text)


# The fields each kind of event asks for beside person, dates and area (``spouse`` is optional for a death:
# the surviving spouse becomes widowed when the death is registered).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "death": ("spouse",),
    "marriage": ("spouse",),
    "divorce": ("spouse",),
    "move_in": ("from_code",),
    "move_out": ("to_code",),
    "migrant_arrival": ("from_code",),
    "migrant_departure": ("to_code",),
    "residence_change": (),
}
# Kinds whose person may be new to the register (entered with the declaration).
NEWCOMER_KINDS = ("move_in", "migrant_arrival")
AREA_LABELS = {
    "death": _("area at the death"),
    "marriage": _("area where the marriage is registered"),
    "divorce": _("area where the divorce is registered"),
    "move_in": _("area moved into"),
    "move_out": _("area moved out of"),
    "migrant_arrival": _("area of residence on arrival"),
    "migrant_departure": _("area left"),
    "residence_change": _("new area of residence"),
}


class EventForm(ScopedPersonsMixin, forms.Form):
    """Declaration of any event other than a birth (死亡、婚姻、迁移、流动 …)."""

    person_fields = ("subject", "spouse")

    subject = PersonRefField(label=_("person"), required=False)
    event_date = _date(_("event date"))
    registration_date = _date(_("registration date"))
    area = forms.ChoiceField(label=_("area"), widget=AreaSelect)
    spouse = PersonRefField(label=_("spouse"), required=False)
    from_code = forms.CharField(label=_("from (area code or place)"), max_length=15, required=False)
    to_code = forms.CharField(label=_("to (area code or place)"), max_length=15, required=False)
    note = forms.CharField(label=_("note"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"size": 60}))
    # a person new to the register (move in, migrant arrival)
    new_name = forms.CharField(label=_("name (new to the register)"), max_length=60, required=False)
    new_sex = forms.TypedChoiceField(label=_("sex"), coerce=int, required=False, empty_value=None,
                                     choices=[("", "—"), (Sex.MALE, Sex.MALE.label), (Sex.FEMALE, Sex.FEMALE.label)])
    new_birth_date = _date(_("birth date"), required=False)
    new_id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)

    def __init__(self, *args, kind: str, persons=None, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.persons = persons if persons is not None else Person.objects.none()
        self.fields["area"].choices = _area_choices(areas)
        self.fields["area"].label = AREA_LABELS.get(kind, _("area"))
        wanted = set(KIND_FIELDS[kind])
        for name in ("spouse", "from_code", "to_code"):
            if name not in wanted:
                del self.fields[name]
        if kind in ("marriage", "divorce"):
            self.fields["spouse"].required = True
        if kind not in NEWCOMER_KINDS:
            for name in ("new_name", "new_sex", "new_birth_date", "new_id_number"):
                del self.fields[name]
        else:
            self.fields["subject"].help_text = _("ID number or record key of a person already in your areas; "
                                                 "for a person new to the register leave it empty and fill "
                                                 "in the fields below")

    def clean(self):
        data = super().clean()
        if "subject" in self.errors:
            return data
        if data.get("subject") is None:
            if self.kind in NEWCOMER_KINDS:
                missing = [n for n in ("new_name", "new_sex", "new_birth_date") if not data.get(n)]
                for n in missing:
                    self.add_error(n, _("Needed for a person new to the register."))
            else:
                self.add_error("subject", _("Enter the ID number or record key of the person."))
        return data

    def newcomer(self) -> dict | None:
        d = self.cleaned_data
        if d.get("subject") is not None or self.kind not in NEWCOMER_KINDS:
            return None
        return {"name": d["new_name"], "sex": d["new_sex"], "birth_date": d["new_birth_date"],
                "id_number": d.get("new_id_number") or None}


class CorrectionForm(ScopedPersonsMixin, forms.Form):
    """A corrected version of an event (更正): the fields that may change; the person stays."""

    person_fields = ("mother", "father", "spouse")

    event_date = _date(_("event date"))
    registration_date = _date(_("registration date"))
    area = forms.ChoiceField(label=_("area at event date"), widget=AreaSelect)
    mother = PersonRefField(label=_("mother"), required=False)
    father = PersonRefField(label=_("father"), required=False)
    spouse = PersonRefField(label=_("spouse"), required=False)
    birth_order = forms.IntegerField(label=_("birth order"), min_value=1, max_value=20, required=False)
    plurality = forms.IntegerField(label=_("plurality"), min_value=1, max_value=8, required=False)
    delivery_place = forms.ChoiceField(label=_("place of delivery"), choices=Event.Delivery.choices, required=False)
    from_code = forms.CharField(label=_("from (area code or place)"), max_length=15, required=False)
    to_code = forms.CharField(label=_("to (area code or place)"), max_length=15, required=False)
    note = forms.CharField(label=_("note"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"size": 60}))

    BIRTH_ONLY = ("mother", "father", "birth_order", "plurality", "delivery_place")

    def __init__(self, *args, event: Event, persons=None, areas=(), **kwargs):
        initial = {"event_date": event.event_date, "registration_date": event.registration_date,
                   "area": event.area_id, "mother": person_ref(event.mother), "father": person_ref(event.father),
                   "spouse": person_ref(event.spouse), "birth_order": event.birth_order,
                   "plurality": event.plurality, "delivery_place": event.delivery_place,
                   "from_code": event.from_code, "to_code": event.to_code, "note": event.note}
        super().__init__(*args, initial=initial, **kwargs)
        self.event = event
        # the persons already on the event stay acceptable even if they left the user's areas since
        self.persons = (persons if persons is not None else Person.objects.none()) | Person.objects.filter(
            pk__in=[p for p in (event.mother_id, event.father_id, event.spouse_id) if p])
        choices = _area_choices(areas)
        if event.area_id not in {c for c, _l in choices}:
            choices.insert(0, (event.area_id, str(event.area)))
        self.fields["area"].choices = choices
        keep = set(self.fields) - set(self.BIRTH_ONLY) - {"spouse", "from_code", "to_code"}
        if event.kind == Event.Kind.BIRTH:
            keep |= set(self.BIRTH_ONLY)
        else:
            keep |= set(KIND_FIELDS.get(event.kind, ()))
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    def changes(self) -> dict:
        """The fields for ``services.correct_event`` (the area as its code)."""
        d = dict(self.cleaned_data)
        if "delivery_place" in d:
            d["delivery_place"] = d["delivery_place"] or ""
        for k in ("from_code", "to_code", "note"):
            if k in d:
                d[k] = d[k] or ""
        area = d.pop("area")
        d["area_id"] = area
        return d


class ServiceForm(forms.Form):
    """A voluntary service received (服务记录), recorded only with the person's informed consent."""

    type = forms.ChoiceField(label=_("service"), choices=ServiceRecord.Type.choices)
    date = _date(_("date"))
    provider = forms.CharField(label=_("provider"), max_length=100)
    method = forms.CharField(label=_("method chosen"), max_length=30, required=False)
    area = forms.ChoiceField(label=_("area"), widget=AreaSelect)
    outcome = forms.CharField(label=_("outcome"), max_length=200, required=False)
    consent_noted = forms.BooleanField(label=_("the person's informed consent is noted"), required=False)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = _area_choices(areas)


FORMATS = [("xlsx", "XLSX"), ("csv", "CSV")]
LAYOUTS = [("people", _("for reading: headers in your language, names beside the codes")),
           ("machine", _("import format: column names and codes of the register import"))]
EXPORT_KINDS = [("persons", _("person records")), ("households", _("household records")),
                ("events", _("event records")), ("services", _("service records"))]


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("what"), choices=EXPORT_KINDS)
    area = forms.ChoiceField(label=_("area"), widget=AreaSelect)
    format = forms.ChoiceField(label=_("format"), choices=FORMATS, initial="xlsx")
    layout = forms.ChoiceField(label=_("layout"), choices=LAYOUTS, initial="people", required=False)
    unmasked = forms.BooleanField(label=_("full ID numbers (unmasked)"), required=False)

    def __init__(self, *args, areas=(), allow_unmasked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = _area_choices(areas)
        self.allow_unmasked = allow_unmasked
        if not allow_unmasked:
            self.fields["unmasked"].disabled = True
            self.fields["unmasked"].help_text = _("Your role may export masked ID numbers only.")

    def clean_layout(self):
        return self.cleaned_data.get("layout") or "people"

    def clean_unmasked(self):
        # a disabled field ignores what was posted: read it to refuse, not to silently mask
        asked = self.data.get("unmasked") in ("on", "true", "1", "True")
        if asked and not self.allow_unmasked:
            raise forms.ValidationError(_("Your role may not export full ID numbers."), code="unmasked_refused")
        return asked and self.allow_unmasked


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300, required=False,
                             widget=forms.TextInput(attrs={"size": 60}))
