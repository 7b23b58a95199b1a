"""Where the called party is: time zone(s) and state(s), from the contact and the number.

Zones come from the number (phonenumbers' prefix data) and the contact's state;
a contact's own time zone is added to them, never put in their place. When that
is not certain the answer lists every candidate, and the calling policy applies the rules of all of them
(strictest wins): an area code spanning two zones gets the window lawful in
both, a contact in one state with a number from another gets both states' rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import available_timezones

import phonenumbers
from phonenumbers import timezone as number_zones

US_REGIONS = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})

STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana",
    "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "VI": "U.S. Virgin Islands", "GU": "Guam", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}
_CODE_BY_NAME = {name.lower(): code for code, name in STATE_NAMES.items()}
_CODE_BY_NAME.update({"washington d.c.": "DC", "washington state": "WA"})

# Every zone in use in each state or territory (US time zone boundaries, 49 C.F.R. part 71).
STATE_ZONES: dict[str, tuple[str, ...]] = {
    "AL": ("America/Chicago",), "AK": ("America/Anchorage", "America/Adak"),
    "AZ": ("America/Phoenix", "America/Denver"),  # the Navajo Nation keeps daylight time
    "AR": ("America/Chicago",), "CA": ("America/Los_Angeles",), "CO": ("America/Denver",),
    "CT": ("America/New_York",), "DE": ("America/New_York",), "DC": ("America/New_York",),
    "FL": ("America/New_York", "America/Chicago"), "GA": ("America/New_York",), "HI": ("Pacific/Honolulu",),
    "ID": ("America/Boise", "America/Los_Angeles"), "IL": ("America/Chicago",),
    "IN": ("America/Indiana/Indianapolis", "America/Chicago"), "IA": ("America/Chicago",),
    "KS": ("America/Chicago", "America/Denver"), "KY": ("America/New_York", "America/Chicago"),
    "LA": ("America/Chicago",), "ME": ("America/New_York",), "MD": ("America/New_York",),
    "MA": ("America/New_York",), "MI": ("America/Detroit", "America/Menominee"), "MN": ("America/Chicago",),
    "MS": ("America/Chicago",), "MO": ("America/Chicago",), "MT": ("America/Denver",),
    "NE": ("America/Chicago", "America/Denver"), "NV": ("America/Los_Angeles", "America/Denver"),
    "NH": ("America/New_York",), "NJ": ("America/New_York",), "NM": ("America/Denver",),
    "NY": ("America/New_York",), "NC": ("America/New_York",), "ND": ("America/Chicago", "America/Denver"),
    "OH": ("America/New_York",), "OK": ("America/Chicago",), "OR": ("America/Los_Angeles", "America/Boise"),
    "PA": ("America/New_York",), "RI": ("America/New_York",), "SC": ("America/New_York",),
    "SD": ("America/Chicago", "America/Denver"), "TN": ("America/Chicago", "America/New_York"),
    "TX": ("America/Chicago", "America/Denver"), "UT": ("America/Denver",), "VT": ("America/New_York",),
    "VA": ("America/New_York",), "WA": ("America/Los_Angeles",), "WV": ("America/New_York",),
    "WI": ("America/Chicago",), "WY": ("America/Denver",), "PR": ("America/Puerto_Rico",),
    "VI": ("America/St_Thomas",), "GU": ("Pacific/Guam",), "AS": ("Pacific/Pago_Pago",),
    "MP": ("Pacific/Saipan",),
}
_TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP"})
# Where a number with no location (toll-free) and no contact state may ring: the fifty states and DC.
US_ZONES = tuple(sorted({zone for code, zones in STATE_ZONES.items() if code not in _TERRITORIES for zone in zones}))

# Area codes that cross a time-zone line where phonenumbers' prefix data names
# only one zone: the missing zone is added so the window is lawful on both sides.
SPLIT_AREA_CODES: dict[str, tuple[str, ...]] = {
    "850": ("America/New_York", "America/Chicago"),  # FL panhandle: Pensacola, Panama City are Central
    "448": ("America/New_York", "America/Chicago"),  # overlay of 850
    "812": ("America/New_York", "America/Chicago"),  # IN: Evansville area is Central
    "930": ("America/New_York", "America/Chicago"),  # overlay of 812
    "219": ("America/Chicago", "America/New_York"),  # IN: north-west Central, parts Eastern
    "574": ("America/New_York", "America/Chicago"),  # IN: Starke County is Central
    "270": ("America/Chicago", "America/New_York"),  # KY west Central, Hardin area Eastern
    "364": ("America/Chicago", "America/New_York"),  # overlay of 270
    "606": ("America/New_York", "America/Chicago"),  # KY: Clinton, Cumberland counties Central
    "423": ("America/New_York", "America/Chicago"),  # TN: Marion, Sequatchie, Bledsoe Central
    "906": ("America/Detroit", "America/Menominee"),  # MI: four Upper Peninsula counties Central
    "308": ("America/Chicago", "America/Denver"),  # NE panhandle Mountain
    "620": ("America/Chicago", "America/Denver"),  # KS: Hamilton County Mountain
    "785": ("America/Chicago", "America/Denver"),  # KS: Sherman, Wallace, Greeley Mountain
    "432": ("America/Chicago", "America/Denver"),  # TX: Culberson County Mountain
    "915": ("America/Denver", "America/Chicago"),  # TX: El Paso Mountain, Hudspeth edge
    "541": ("America/Los_Angeles", "America/Boise"),  # OR: Malheur County Mountain
    "458": ("America/Los_Angeles", "America/Boise"),  # overlay of 541
    "928": ("America/Phoenix", "America/Denver"),  # AZ: the Navajo Nation keeps daylight time
}


class WrongNumber(ValueError):
    """The number cannot be a callable US line."""


class NotAUsNumber(ValueError):
    """A valid NANP number outside the US and its territories (Canada, the Caribbean): rules not modelled."""


@dataclass(frozen=True)
class CalleeLocation:
    """Where and when the called party may be. Never holds the number itself."""

    zones: tuple[str, ...]
    states: tuple[str, ...]
    area_code: str
    region: str
    zone_source: str  # "contact", "number", "number+state", "state" or "us"
    state_source: str  # "contact", "number", "contact+number" or "unknown"

    def explain(self) -> dict:
        return {"area_code": self.area_code, "region": self.region, "timezones": list(self.zones),
                "timezone_source": self.zone_source, "states": list(self.states),
                "state_source": self.state_source}


def state_code(value: str) -> str:
    """'TX', 'tx' or 'Texas' -> 'TX'; a clear error for anything else."""
    text = (value or "").strip()
    if text.upper() in STATE_NAMES:
        return text.upper()
    try:
        return _CODE_BY_NAME[text.lower()]
    except KeyError:
        raise ValueError(f"unknown US state {value!r} (use a two-letter code such as TX)") from None


def parse_us_number(phone: str) -> phonenumbers.PhoneNumber:
    """The parsed number, or WrongNumber / NotAUsNumber naming what is wrong (not the number)."""
    try:
        number = phonenumbers.parse(phone or "", "US")
    except phonenumbers.NumberParseException:
        raise WrongNumber("not a phone number") from None
    if number.country_code != 1:
        raise WrongNumber(f"country code +{number.country_code} is outside the North American Numbering Plan")
    if not phonenumbers.is_valid_number(number):
        raise WrongNumber("not a valid number in the North American Numbering Plan")
    region = phonenumbers.region_code_for_number(number)
    if region not in US_REGIONS:
        raise NotAUsNumber(f"a {region or 'non-geographic'} number, outside the US calling rules")
    return number


def to_e164(raw: str, default_region: str = "US") -> str:
    """Any valid phone number, written as E.164 ('+15125550143'); ValueError naming the input otherwise."""
    text = (raw or "").strip()
    if not text:
        raise ValueError("empty phone number")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _number_state(number: phonenumbers.PhoneNumber, region: str) -> str | None:
    if region != "US":
        return region  # territories are their own jurisdiction
    # The geocoder's data takes half a second to import; only state lookups need it.
    from phonenumbers import geocoder

    description = geocoder.description_for_number(number, "en").strip()
    if not description:
        return None
    if "," in description:  # "New York, NY"
        return state_code(description.rsplit(",", 1)[1].strip())
    try:
        return state_code(description)
    except ValueError:
        return None


def checked_zone(name: str) -> str:
    """`name` when it is an IANA time zone name (never a path: `../../etc/passwd` is refused);
    ValueError otherwise. Any zone is safe to accept: it only ever adds to the number's zones."""
    if not isinstance(name, str) or name not in _iana_names():
        raise ValueError(f"unknown time zone {str(name)[:60]!r} (use an IANA name such as America/Chicago)")
    return name


@lru_cache(maxsize=1)
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _ordered(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def locate(phone: str, *, state: str | None = None, timezone: str | None = None) -> CalleeLocation:
    """Where the party at `phone` is, given what the contact record says.

    Raises WrongNumber for a number that cannot be dialled, NotAUsNumber for a
    valid foreign one, ValueError for a contact state or zone that does not exist.
    """
    number = parse_us_number(phone)
    region = phonenumbers.region_code_for_number(number)
    assert region is not None  # parse_us_number accepts only numbers of a US region
    national = str(number.national_number)
    area_code = national[:3]

    number_state = _number_state(number, region)
    contact_state = state_code(state) if state else None
    states = _ordered([contact_state, number_state])
    if contact_state and number_state and contact_state != number_state:
        state_source = "contact+number"
    else:
        state_source = "contact" if contact_state else ("number" if number_state else "unknown")

    from_number = [z for z in number_zones.time_zones_for_number(number) if z != number_zones.UNKNOWN_TIMEZONE]
    geographic = 0 < len(from_number) <= 4  # toll-free and non-geographic codes list every NANP zone
    if geographic:
        zones = _ordered([*from_number, *SPLIT_AREA_CODES.get(area_code, ())])
        source = "number"
        if contact_state and contact_state != number_state:
            zones = _ordered([*zones, *STATE_ZONES[contact_state]])
            source = "number+state"
    elif contact_state:
        zones, source = STATE_ZONES[contact_state], "state"
    else:
        zones, source = US_ZONES, "us"
    if timezone:
        # The contact's zone never replaces what the number says: a call must be lawful in both, so
        # the strictest window governs (a Texas number with Europe/London is still called in Texas hours).
        contact_zone = checked_zone(timezone)
        if source == "us":  # the number names no zone (toll-free, non-geographic): the contact's is all we know
            return CalleeLocation((contact_zone,), states, area_code, region, "contact", state_source)
        return CalleeLocation(_ordered([contact_zone, *zones]), states, area_code, region, f"contact+{source}",
                              state_source)
    return CalleeLocation(zones, states, area_code, region, source, state_source)
