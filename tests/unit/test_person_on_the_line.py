"""Whom the agent speaks with and the name it may address them by (domain.person_on_the_line)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.contact import Contact
from domain.front_desk import FrontDeskDetails
from domain.person_on_the_line import PersonOnTheLine, name_parts
from domain.script import render

JAY = Contact(id="c1", first_name="Jay", last_name="Underwood", phone="+15125550162", practice="Granite")


def after(*lines: str, contact: Contact = JAY) -> PersonOnTheLine:
    person = PersonOnTheLine(sought=contact.sought_name, contact=contact.full_name)
    for line in lines:
        person.callee_said(line)
    return person


@pytest.mark.parametrize("lines, addressed", [
    (["Granite Sports Medicine, this is Tom."], None),  # the front desk is thanked, never named as the contact
    (["Speaking."], "Jay"),
    (["Yes, that's me."], "Jay"),
    (["This is Jay."], "Jay"),
    (["This is Dr. Underwood."], "Dr. Underwood"),
    (["Granite, this is Tom.", "Dr. Kent handles that. One moment, I'll put you through.", "Speaking."], "Dr. Kent"),
    (["Granite, this is Tom.", "Dr. Kent handles that. One moment, I'll put you through.", "This is Dr. Kent."],
     "Dr. Kent"),
    (["Speaking.", "One moment, I'll put you through."], None),  # a transfer: a new party, not yet named
    (["Granite, this is Tom.", "One moment, I'll put you through.", "Hello, Maria speaking."], None),
])
def test_the_name_to_address_whoever_is_on_the_line(lines, addressed):
    assert after(*lines).addressed_as == addressed


def test_a_known_decision_maker_who_says_speaking_is_addressed_by_his_name():
    contact = Contact(id="c1", first_name="Jay", last_name="Underwood", phone="+15125550162", practice="Granite",
                      known=FrontDeskDetails(decision_maker="Dr. Kent"))
    person = after("Speaking.", contact=contact)
    assert (person.addressed_as, person.is_the_contact) == ("Dr. Kent", False)
    assert after("This is Jay.", contact=contact).is_the_contact


_NAME = st.from_regex(r"[A-Z][a-z]{2,9}", fullmatch=True)


@given(first=_NAME, last=_NAME, doctor=_NAME)
def test_speaking_after_the_front_desk_names_someone_addresses_them_never_the_contact(first, last, doctor):
    contact = Contact(id="c1", first_name=first, last_name=last, phone="+15125550162", practice="Granite")
    person = after("Granite, this is Tom.", f"Dr. {doctor} handles that. One moment, I'll put you through.",
                   "Speaking.", contact=contact)
    assert person.addressed_as == f"Dr. {doctor}"
    assert person.is_the_contact is (doctor == last)


@pytest.mark.parametrize("decision_maker, asked", [
    ("Dr. Kent", "May I speak with Dr. Kent?"),
    ("Maria Lopez", "May I speak with Maria Lopez?"),
    (None, "May I speak with Jay Underwood?"),
])
def test_a_script_naming_the_contact_asks_for_whom_the_call_seeks(decision_maker, asked):
    contact = Contact(id="c1", first_name="Jay", last_name="Underwood", phone="+15125550162", practice="Granite",
                      known=FrontDeskDetails(decision_maker=decision_maker))
    fields = contact.template_fields()
    assert render("May I speak with {first_name} {last_name}?", fields, optional=frozenset({"last_name"})) == asked
    assert fields["full_name"] == (decision_maker or "Jay Underwood")
    assert name_parts(decision_maker or "Jay Underwood")[0] == fields["first_name"]


@pytest.mark.parametrize("office", ["Hello. Dr. Baker's office, this is John. How may I help you?",
                                    "Yes, Dr. Frank is in; may I say who is calling, please?"])
def test_a_doctor_only_mentioned_by_the_front_desk_is_not_whom_speaking_confirms(office):
    """Real front desks (scenarios/real_lines.yaml): "Speaking." after being asked for Jay Underwood is Jay."""
    assert after(office, "Speaking.").addressed_as == "Jay"
