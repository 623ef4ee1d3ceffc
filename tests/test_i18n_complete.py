# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The shipped translations are complete, without Odoo.

For each addon and each of its languages, every msgid of the addon's
``i18n/<addon>.pot`` (Odoo's ``--i18n-export``) has a non-empty, non-fuzzy
msgstr in ``i18n/<lang>.po``, and the translation keeps the placeholders of
its source: ``%s`` / ``%(name)s`` (Python formatting), ``{{ ... }}`` (inline
templates) and ``t-out`` / ``t-esc`` markers (QWeb). A translation that lost
or renamed a placeholder breaks at rendering time, in that language only.

The .po files are read with the small parser below (msgctxt, multi-line
strings, flags, obsolete ``#~`` entries), so no gettext library is needed.
Run with::

    python -m pytest tests/test_i18n_complete.py -q
"""

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = (
    "crm_notifications",
    "crm_notifications_helpdesk",
    "crm_notifications_maintenance",
    "crm_notifications_mrp",
    "crm_notifications_repair",
    "crm_notifications_sms",
)
LANGUAGES = ("da", "nl", "fr", "de", "es")

# %s, %d, %(name)s, %(count)d...; "%%" is a literal percent sign. A space is
# not accepted as a conversion flag, so "10 % de" (French) is no placeholder.
PERCENT = re.compile(r"%(?:%|(?:\([^)]*\))?[-#0+]*\d*(?:\.\d+)?[sdifrxXeEgGcoa])")
INLINE = re.compile(r"\{\{.*?\}\}", re.S)
QWEB = re.compile(r"""\bt-(?:out|esc|raw)\s*=\s*(?:"[^"]*"|'[^']*')""")


def parse_po(text):
    """Entries of a .po/.pot text as dicts: msgctxt, msgid, msgstr (for
    plural entries, the first form), flags, obsolete. The header (empty
    msgid) is left out."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and "msgid" in entry and entry["msgid"] != "":
            entries.append(entry)

    def new_entry():
        return {"msgctxt": None, "flags": set(), "obsolete": False}

    for raw in text.splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            continue
        if line.startswith("#,"):
            # flags open a new entry when the previous one is complete
            if entry is not None and "msgid" in entry:
                finish()
                entry = None
            entry = entry or new_entry()
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            if entry is not None and "msgid" in entry:
                finish()
                entry = None
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            entry[field] += ast.literal_eval(line)
            continue
        if keyword in ("msgctxt", "msgid") and entry is not None and "msgid" in entry:
            finish()
            entry = None
        entry = entry or new_entry()
        entry["obsolete"] = entry["obsolete"] or obsolete
        field = {"msgstr[0]": "msgstr"}.get(keyword, keyword)
        if field.startswith("msgstr[") or field == "msgid_plural":
            field = "_ignored"
        entry[field] = ast.literal_eval(rest)
    finish()
    return [e for e in entries if not e["obsolete"]]


def placeholders(text):
    """What a translation must keep of its source, as a multiset."""
    found = [match for match in PERCENT.findall(text) if match != "%%"]
    found += [re.sub(r"\s+", "", match) for match in INLINE.findall(text)]
    found += [re.sub(r"\s+", "", match) for match in QWEB.findall(text)]
    return Counter(found)


def template_ids(addon):
    pot = ROOT / addon / "i18n" / f"{addon}.pot"
    return [(e["msgctxt"], e["msgid"]) for e in parse_po(pot.read_text(encoding="utf-8"))]


def problems(pot_ids, po_text):
    """Why the .po text does not translate each template entry, as
    readable lines (empty: complete)."""
    translated = {(e["msgctxt"], e["msgid"]): e for e in parse_po(po_text)}
    found = []
    for key in pot_ids:
        msgid = key[1]
        entry = translated.get(key)
        if entry is None:
            found.append(f"missing: {msgid!r}")
        elif not entry.get("msgstr"):
            found.append(f"empty: {msgid!r}")
        elif "fuzzy" in entry["flags"]:
            found.append(f"fuzzy: {msgid!r}")
        elif placeholders(entry["msgstr"]) != placeholders(msgid):
            found.append(f"placeholders {dict(placeholders(msgid))} != {dict(placeholders(entry['msgstr']))}:"
                         f" {msgid!r} -> {entry['msgstr']!r}")
    return found


@pytest.mark.parametrize("addon", ADDONS)
def test_template_exists(addon):
    assert template_ids(addon), f"{addon}/i18n/{addon}.pot has no entry"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("addon", ADDONS)
def test_translation_complete(addon, lang):
    po = ROOT / addon / "i18n" / f"{lang}.po"
    assert po.is_file(), f"{po} is missing"
    found = problems(template_ids(addon), po.read_text(encoding="utf-8"))
    assert not found, f"{addon}/i18n/{lang}.po:\n" + "\n".join(found)


# ---- the checker itself: it must fail on what it is there to catch ----

POT = r'''
msgid ""
msgstr ""
"Project-Id-Version: Odoo Server 18.0\n"

#. module: x
msgid "Hello %(name)s"
msgstr ""

#. module: x
msgid ""
"Assigned to you: {{ object.name }}\n"
"second line"
msgstr ""

#. module: x
msgid "<t t-out=\"user.name\"/> has %s items"
msgstr ""

#. module: x
msgctxt "menu"
msgid "Open"
msgstr ""
'''

PO = r'''
msgid ""
msgstr ""
"Language: fr\n"

#. module: x
msgid "Hello %(name)s"
msgstr "Bonjour %(name)s"

#. module: x
msgid ""
"Assigned to you: {{ object.name }}\n"
"second line"
msgstr ""
"Assigné à vous : {{ object.name }}\n"
"deuxième ligne"

#. module: x
msgid "<t t-out=\"user.name\"/> has %s items"
msgstr "<t t-out=\"user.name\"/> a %s éléments"

#. module: x
msgctxt "menu"
msgid "Open"
msgstr "Ouvrir"

#~ msgid "Gone"
#~ msgstr ""
'''


def test_checker_accepts_a_complete_file():
    ids = [(e["msgctxt"], e["msgid"]) for e in parse_po(POT)]
    assert len(ids) == 4
    assert ("menu", "Open") in ids
    assert problems(ids, PO) == []


@pytest.mark.parametrize("broken, expected", [
    (PO.replace('msgid "Hello %(name)s"\nmsgstr "Bonjour %(name)s"', ""), "missing:"),
    (PO.replace('msgstr "Bonjour %(name)s"', 'msgstr ""'), "empty:"),
    (PO.replace('#. module: x\nmsgid "Hello', '#. module: x\n#, fuzzy\nmsgid "Hello'), "fuzzy:"),
    (PO.replace('msgstr "Bonjour %(name)s"', 'msgstr "Bonjour %(nom)s"'), "placeholders"),
    (PO.replace('"Assigné à vous : {{ object.name }}\\n"', '"Assigné à vous : {{ objet.nom }}\\n"'), "placeholders"),
    (PO.replace('a %s éléments', 'a des éléments'), "placeholders"),
    (PO.replace('<t t-out=\\"user.name\\"/> a', 'Il a'), "placeholders"),
    (PO.replace('msgctxt "menu"\n', ""), "missing:"),
])
def test_checker_catches(broken, expected):
    assert broken != PO, "the test's replacement did not apply"
    ids = [(e["msgctxt"], e["msgid"]) for e in parse_po(POT)]
    found = problems(ids, broken)
    assert found and found[0].startswith(expected), found


def test_literal_percent_is_no_placeholder():
    assert placeholders("10 % de remise, 100%") == Counter()
    assert placeholders("%(count)s sur %s, 50%%") == Counter({"%(count)s": 1, "%s": 1})
