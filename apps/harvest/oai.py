"""The OAI-PMH 2.0 protocol (https://www.openarchives.org/OAI/openarchivesprotocol.html):
arguments in, an <OAI-PMH> document out. Verbs: Identify, ListMetadataFormats, ListSets,
ListIdentifiers, ListRecords, GetRecord; format `oai_dc`; sets are public collections
("parent:child" specs, a set holds its subsets); datestamps are the record's change
timestamp in seconds; deleted records are persistent (tombstones); resumption tokens are
signed keysets, so a list being paged survives inserts and edits.

Settings: OAI_REPOSITORY_NAME, OAI_REPOSITORY_IDENTIFIER (the namespace of
`oai:<it>:photograph-<id>`), OAI_ADMIN_EMAIL, OAI_PAGE_SIZE.
"""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.utils import timezone

from . import records, selectors
from .selectors import HarvestItem

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
ET.register_namespace("", OAI)

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
METADATA_FORMATS = {"oai_dc": (records.OAI_DC_SCHEMA, records.OAI_DC)}
TOKEN_SALT = "apps.harvest.oai.resumption"

VERBS: dict[str, tuple[set[str], set[str]]] = {  # verb → (required, optional) arguments
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
}


class OAIError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _q(name: str) -> str:
    return f"{{{OAI}}}{name}"


def _sub(parent: ET.Element, name: str, text: str | None = None, **attributes) -> ET.Element:
    element = ET.SubElement(parent, _q(name), attributes)
    if text is not None:
        element.text = text
    return element


def datestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_identifier(photograph_id: int) -> str:
    return f"oai:{settings.OAI_REPOSITORY_IDENTIFIER}:photograph-{photograph_id}"


def _photograph_id(identifier: str) -> int | None:
    match = re.fullmatch(rf"oai:{re.escape(settings.OAI_REPOSITORY_IDENTIFIER)}:photograph-([1-9][0-9]*)", identifier)
    return int(match.group(1)) if match else None


def _parse_datestamp(value: str, *, upper: bool) -> tuple[dt.datetime, str]:
    """A from/until argument as the bound of a half-open window [from, until + 1 unit)."""
    for pattern, granularity, step in (("%Y-%m-%dT%H:%M:%SZ", "seconds", dt.timedelta(seconds=1)), ("%Y-%m-%d", "day", dt.timedelta(days=1))):
        try:
            moment = dt.datetime.strptime(value, pattern).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
        return (moment + step if upper else moment), granularity
    raise OAIError("badArgument", f'"{value}" is not a datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ).')


def handle(arguments: dict[str, list[str]], *, base_url: str, absolute: Callable[[str], str]) -> bytes:
    """The whole protocol: request arguments (each a list, to catch repeats) → the document."""
    root = ET.Element(_q("OAI-PMH"), {f"{{{records.XSI}}}schemaLocation": f"{OAI} {OAI_SCHEMA}"})
    _sub(root, "responseDate", datestamp(timezone.now()))
    request_element = _sub(root, "request", base_url)
    try:
        verb, args = _validate(arguments)
        for name, value in (("verb", verb), *sorted(args.items())):
            request_element.set(name, value)
        root.append(VERB_HANDLERS[verb](args, absolute))
    except OAIError as error:
        if error.code in ("badVerb", "badArgument"):
            request_element.attrib.clear()  # §3.6: the base URL only, no attributes
        _sub(root, "error", error.message, code=error.code)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _validate(arguments: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    verbs = arguments.get("verb", [])
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OAIError("badVerb", "Missing, repeated or illegal verb." if len(verbs) != 1 else f'"{verbs[0]}" is not an OAI-PMH verb.')
    verb = verbs[0]
    required, optional = VERBS[verb]
    args: dict[str, str] = {}
    for name, values in arguments.items():
        if name == "verb":
            continue
        if name not in required | optional:
            raise OAIError("badArgument", f'"{name}" is not an argument of {verb}.')
        if len(values) != 1:
            raise OAIError("badArgument", f'"{name}" is repeated.')
        args[name] = values[0]
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OAIError("badArgument", "resumptionToken is an exclusive argument.")
        return verb, args
    missing = required - set(args)
    if missing:
        raise OAIError("badArgument", f"{verb} needs {', '.join(sorted(missing))}.")
    return verb, args


def _identify(args, absolute) -> ET.Element:
    element = ET.Element(_q("Identify"))
    _sub(element, "repositoryName", settings.OAI_REPOSITORY_NAME)
    _sub(element, "baseURL", absolute("/oai"))
    _sub(element, "protocolVersion", "2.0")
    _sub(element, "adminEmail", settings.OAI_ADMIN_EMAIL)
    earliest = selectors.harvest_earliest_datestamp() or timezone.now()
    _sub(element, "earliestDatestamp", datestamp(earliest))
    _sub(element, "deletedRecord", "persistent")
    _sub(element, "granularity", GRANULARITY)
    description = _sub(element, "description")
    ET.register_namespace("oai-identifier", OAI_IDENTIFIER)
    identifier = ET.SubElement(description, f"{{{OAI_IDENTIFIER}}}oai-identifier", {
        f"{{{records.XSI}}}schemaLocation": f"{OAI_IDENTIFIER} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd",
    })
    for name, value in (("scheme", "oai"), ("repositoryIdentifier", settings.OAI_REPOSITORY_IDENTIFIER),
                        ("delimiter", ":"), ("sampleIdentifier", record_identifier(1))):
        ET.SubElement(identifier, f"{{{OAI_IDENTIFIER}}}{name}").text = value
    return element


def _list_metadata_formats(args, absolute) -> ET.Element:
    if "identifier" in args:
        _item_or_error(args["identifier"])
    element = ET.Element(_q("ListMetadataFormats"))
    for prefix, (schema, namespace) in METADATA_FORMATS.items():
        format_element = _sub(element, "metadataFormat")
        _sub(format_element, "metadataPrefix", prefix)
        _sub(format_element, "schema", schema)
        _sub(format_element, "metadataNamespace", namespace)
    return element


def _list_sets(args, absolute) -> ET.Element:
    if "resumptionToken" in args:
        raise OAIError("badResumptionToken", "ListSets answers in one response; there is no token to resume.")
    sets = selectors.harvest_sets()
    if not sets:
        raise OAIError("noSetHierarchy", "There are no public collections.")
    element = ET.Element(_q("ListSets"))
    for spec, collection in sets:
        set_element = _sub(element, "set")
        _sub(set_element, "setSpec", spec)
        _sub(set_element, "setName", collection.title)
        if collection.description:
            description = _sub(set_element, "setDescription")
            description.append(records.oai_dc_element([("description", collection.description)]))
    return element


def _item_or_error(identifier: str) -> HarvestItem:
    photograph_id = _photograph_id(identifier)
    item = selectors.harvest_item_get(photograph_id) if photograph_id else None
    if item is None:
        raise OAIError("idDoesNotExist", f'"{identifier}" is not an identifier of this repository.')
    return item


def _check_prefix(prefix: str) -> None:
    if prefix not in METADATA_FORMATS:
        raise OAIError("cannotDisseminateFormat", f'"{prefix}" is not a metadata format of this repository (oai_dc is).')


def _header(parent: ET.Element, item: HarvestItem) -> None:
    header = _sub(parent, "header", **({"status": "deleted"} if item.tombstone is not None else {}))
    _sub(header, "identifier", record_identifier(item.photograph_id))
    _sub(header, "datestamp", datestamp(item.changed))
    _sub(header, "setSpec", item.set_spec)


def _record(parent: ET.Element, item: HarvestItem, absolute) -> None:
    record = _sub(parent, "record")
    _header(record, item)
    if item.photograph is not None:
        _sub(record, "metadata").append(records.oai_dc_element(records.photograph_dublin_core(item.photograph, absolute)))


def _get_record(args, absolute) -> ET.Element:
    _check_prefix(args["metadataPrefix"])
    item = _item_or_error(args["identifier"])
    element = ET.Element(_q("GetRecord"))
    _record(element, item, absolute)
    return element


def _list(verb: str, args: dict[str, str], absolute) -> ET.Element:
    if "resumptionToken" in args:
        state = _read_token(args["resumptionToken"])
    else:
        _check_prefix(args["metadataPrefix"])
        state = {"prefix": args["metadataPrefix"], "set": args.get("set"), "cursor": 0, "after": None,
                 "from": None, "until": None}
        start, from_granularity = _parse_datestamp(args["from"], upper=False) if "from" in args else (None, None)
        end, until_granularity = _parse_datestamp(args["until"], upper=True) if "until" in args else (None, None)
        if from_granularity and until_granularity and from_granularity != until_granularity:
            raise OAIError("badArgument", "from and until must have the same granularity.")
        if start and end and start >= end:
            raise OAIError("badArgument", "from is later than until.")
        state["from"] = start.isoformat() if start else None
        state["until"] = end.isoformat() if end else None
        if state["set"] and not selectors.harvest_set_exists(state["set"]):
            raise OAIError("noRecordsMatch", f'There is no set "{state["set"]}".')
    after = (dt.datetime.fromisoformat(state["after"][0]), state["after"][1]) if state["after"] else None
    items, more = selectors.harvest_page(
        after=after, set_spec=state["set"], limit=settings.OAI_PAGE_SIZE,
        start=dt.datetime.fromisoformat(state["from"]) if state["from"] else None,
        end=dt.datetime.fromisoformat(state["until"]) if state["until"] else None,
    )
    if not items and state["cursor"] == 0:
        raise OAIError("noRecordsMatch", "No records match the request.")
    element = ET.Element(_q(verb))
    for item in items:
        if verb == "ListRecords":
            _record(element, item, absolute)
        else:
            _header(element, item)
    if more or state["cursor"]:
        token = _sub(element, "resumptionToken", cursor=str(state["cursor"]))
        if more:
            last = items[-1]
            token.text = signing.dumps({**state, "after": [last.changed.isoformat(), last.photograph_id], "cursor": state["cursor"] + len(items)}, salt=TOKEN_SALT, compress=True)
    return element


def _read_token(token: str) -> dict:
    try:
        return signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        raise OAIError("badResumptionToken", "The resumption token is not valid.") from None


VERB_HANDLERS: dict[str, Callable[[dict[str, str], Callable[[str], str]], ET.Element]] = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "ListIdentifiers": lambda args, absolute: _list("ListIdentifiers", args, absolute),
    "ListRecords": lambda args, absolute: _list("ListRecords", args, absolute),
    "GetRecord": _get_record,
}
