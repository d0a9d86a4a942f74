"""Units a question spells out and a source abbreviates, or the other way round: "How many pounds of steam per
kilowatt hour…?" of a source that says "4 kg (8.8 lb) of steam per kWh"."""

from __future__ import annotations

import functools

from kb_assistant.kb.tokens import english_root_stem

_ABBREVIATED = {
    "pound": ("lb", "lbs"), "ounce": ("oz",), "kilogram": ("kg", "kgs"), "kilometre": ("km",), "kilometer": ("km",),
    "centimetre": ("cm",), "centimeter": ("cm",), "millimetre": ("mm",), "millimeter": ("mm",), "mile": ("mi",),
    "foot": ("ft",), "feet": ("ft",), "yard": ("yd",), "hour": ("hr", "hrs", "kwh"), "minute": ("min",),
    "kilowatt": ("kw", "kwh"), "megawatt": ("mw", "mwh"), "gigawatt": ("gw", "gwh"),
    "hertz": ("hz",), "gallon": ("gal",), "gigabyte": ("gb",), "megabyte": ("mb",), "kilobyte": ("kb",),
    "terabyte": ("tb",),
}
"""Each unit's name and the abbreviations a source writes it as ("kWh" for kilowatt and hour together). None of one
letter ("m", "g" and "in" stand for much else), nor "sec" (an ordinal "second" is no unit; SEC a commission)."""


@functools.cache
def _by_stem() -> dict[str, tuple[str, ...]]:
    stem = english_root_stem()
    table: dict[str, tuple[str, ...]] = {}
    for name, short in _ABBREVIATED.items():
        table[stem(name)] = table.get(stem(name), ()) + short
        for abbreviation in short:  # "kg" in a question, "kilograms" in the source
            table[abbreviation] = table.get(abbreviation, ()) + (stem(name),)
    return table


def written_otherwise(term: str, stems: frozenset[str]) -> bool:
    """Whether the unit ``term`` (an English stem) is among ``stems`` (a text's) in its other form: abbreviated or
    spelled out."""
    return any(other in stems for other in _by_stem().get(term, ()))
