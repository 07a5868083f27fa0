"""Day and month names in the languages feeds are written in, read as English for dateutil.

Feeds are supposed to write RFC 822 dates in English; many write them in the site's language
(``mer, 16 nov 2022 00:38:15 +0100``, ``Mittwoch, 16. November 2022``, ``16 de noviembre de
2022``). dateutil knows English only, so ``localize`` rewrites such a string before it parses
it: month names (full, abbreviated, with or without the dot; Polish in both cases) of German,
French, Italian, Spanish, Dutch, Portuguese and Polish become English abbreviations, and
weekday names are dropped (a date never needs its weekday; a wrong one must not spoil it).

Some abbreviations are both a weekday and a month (``mar``: French *mardi*, Spanish *martes*,
everyone's March): a leading word before a comma is the weekday, as RFC 822 places it, and
anywhere else a month. Joining words (``de``, ``del``, ``à``, ``um``, ``Uhr``) are dropped:
dateutil, which reads no word it does not know, would give up on the whole string.
"""

from __future__ import annotations

import re

__all__ = ["MONTHS", "WEEKDAYS", "localize"]

_ENGLISH = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Month number -> names (lower case) in de, fr, it, es, nl, pt, pl that English lacks.
_MONTH_NAMES = {
    1: "januar jänner jän janvier janv gennaio genn gen enero ene januari janeiro styczeń "
    "stycznia styczen sty",
    2: "februar feber février fevrier févr fevr fév fev febbraio febrero febr februari "
    "fevereiro luty lutego lut",
    3: "märz maerz mär mrz mars marzo maart mrt março marco marzec marca",
    4: "avril avr aprile abril kwiecień kwietnia kwiecien kwi",
    5: "mai mag maggio mayo mei maio maj maja",
    6: "juni juin giugno giu junio junho czerwiec czerwca cze",
    7: "juli juillet juil luglio lug julio julho lipiec lipca lip",
    8: "august août aout agosto ago augustus sierpień sierpnia sierpien sie",
    9: "septembre settembre set septiembre setiembre setembro wrzesień września wrzesien "
    "wrzesnia wrz",
    10: "oktober okt octobre ottobre ott octubre outubro out październik października "
    "pazdziernik pazdziernika paź paz",
    11: "novembre noviembre novembro listopad listopada lis",
    12: "dezember dez décembre decembre déc dicembre dic diciembre desember dezembro "
    "grudzień grudnia grudzien gru",
}
MONTHS: dict[str, str] = {
    name: _ENGLISH[number - 1] for number, names in _MONTH_NAMES.items() for name in names.split()
}
# Weekday names and their usual abbreviations, per language.
_WEEKDAY_NAMES = {
    "de": "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag mo di mi do fr "
    "sa so",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche lun mar mer jeu ven sam dim",
    "it": "lunedì lunedi martedì martedi mercoledì mercoledi giovedì giovedi venerdì venerdi "
    "sabato domenica lun mar mer gio ven sab dom",
    "es": "lunes martes miércoles miercoles jueves viernes sábado sabado domingo lun mar mié "
    "mie jue vie sáb sab dom",
    "nl": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag ma di wo do vr za zo",
    "pt": "segunda terça terca quarta quinta sexta sábado sabado domingo seg ter qua qui sex "
    "sáb sab dom",
    "pl": "poniedziałek poniedzialek wtorek środa sroda czwartek piątek piatek sobota niedziela "
    "pon wt śr sr czw pt sob nd ndz niedz",
}
WEEKDAYS = frozenset(name for names in _WEEKDAY_NAMES.values() for name in names.split())
# Weekdays long enough never to be anything else: dropped wherever they are.
_LONG_WEEKDAYS = frozenset(name for name in WEEKDAYS if len(name) >= 5)
_LEADING = re.compile(r"\s*([^\W\d_]+)(?:-feira)?\.?\s*(,?)\s*")
_WORD = re.compile(r"[^\W\d_]+(?:-feira)?\.?")
_JOINERS = re.compile(r"(?<![^\W\d_])(?:de|del|der|den|le|la|el|à|às|as|um|om|uhr|r\.|godz\.?)(?![^\W\d_])", re.I)  # fmt: skip


def localize(text: str) -> str:
    """``text`` with localized month names in English and weekday names dropped."""
    if text.isascii() and not any(c.isalpha() for c in text if c not in "TZtz"):
        return text  # digits and punctuation only (most ISO forms): nothing to translate
    leading = _LEADING.match(text)
    # "mar, 15 nov" is a Tuesday; "Mar 15" without the comma is March.
    if (
        leading
        and (name := leading[1].lower()) in WEEKDAYS
        and (leading[2] or not (name in MONTHS or name.title() in _ENGLISH))
    ):
        text = text[leading.end() :]

    def word(match: re.Match[str]) -> str:
        name = match[0].lower().rstrip(".")
        if name in MONTHS:
            return MONTHS[name]
        if name.removesuffix("-feira") in _LONG_WEEKDAYS:
            return " "
        return match[0]

    return _JOINERS.sub(" ", _WORD.sub(word, text))
