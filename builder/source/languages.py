"""Language codes: what `language:` must hold, and the code an author probably meant.

Authors write the name of the language (``Italiano``, ``German``) or the country code they know
from domain names and number plates (``gr`` for Greek, ``dk`` for Danish). Every LMS wants an
ISO 639 code (``el``, ``da``), so the reader says which one. Babel would know every language
name, but it is not a dependency and these few tables cover what authors write.
"""

from __future__ import annotations

ISO_639_1 = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy
    hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li
    ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa
    pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th
    ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu""".split()  # noqa: SIM905 — 184 codes read better as text
)
"""Every two-letter code; three-letter (ISO 639-2/3) codes are accepted as they are written."""

WRONG_CODES = {
    "gr": "el",
    "dk": "da",
    "se": "sv",
    "cz": "cs",
    "jp": "ja",
    "ua": "uk",
    "gb": "en",
    "us": "en",
    "at": "de",
    "cn": "zh",
    "rs": "sr",
    "al": "sq",
    "by": "be",
    "ge": "ka",
    "il": "he",
    "ir": "fa",
    "vn": "vi",
    "mx": "es",
}
"""Country codes authors write for a language → the language code. All but one are no language
code at all; ``se`` is Northern Sami, but a course written in it with ``se`` is far rarer than a
Swedish one, so it is refused with the suggestion (country codes that are common languages'
codes, like ``si`` Sinhala or ``br`` Breton, are left alone)."""

NAMES = {
    "it": ("italian", "italiano"),
    "el": ("greek", "ελληνικά", "ellinika", "elliniká"),
    "en": ("english",),
    "de": ("german", "deutsch"),
    "fr": ("french", "français", "francais"),
    "es": ("spanish", "español", "espanol", "castellano"),
    "pt": ("portuguese", "português", "portugues"),
    "nl": ("dutch", "nederlands", "flemish", "vlaams"),
    "da": ("danish", "dansk"),
    "sv": ("swedish", "svenska"),
    "nb": ("norwegian", "norsk", "bokmål", "bokmal"),
    "fi": ("finnish", "suomi"),
    "pl": ("polish", "polski"),
    "cs": ("czech", "čeština", "cestina"),
    "sk": ("slovak", "slovenčina", "slovencina"),
    "sl": ("slovenian", "slovene", "slovenščina", "slovenscina"),
    "hr": ("croatian", "hrvatski"),
    "sr": ("serbian", "српски", "srpski"),
    "bg": ("bulgarian", "български", "balgarski"),
    "ro": ("romanian", "română", "romana"),
    "hu": ("hungarian", "magyar"),
    "et": ("estonian", "eesti"),
    "lv": ("latvian", "latviešu", "latviesu"),
    "lt": ("lithuanian", "lietuvių", "lietuviu"),
    "ga": ("irish", "gaeilge"),
    "mt": ("maltese", "malti"),
    "ca": ("catalan", "català", "catala"),
    "eu": ("basque", "euskara"),
    "gl": ("galician", "galego"),
    "ru": ("russian", "русский", "russkiy"),
    "uk": ("ukrainian", "українська", "ukrainska"),
    "tr": ("turkish", "türkçe", "turkce"),
    "ar": ("arabic", "العربية"),
    "he": ("hebrew", "עברית"),
    "zh": ("chinese", "中文", "mandarin"),
    "ja": ("japanese", "日本語", "nihongo"),
    "ko": ("korean", "한국어"),
    "hi": ("hindi", "हिन्दी"),
    "sq": ("albanian", "shqip"),
    "mk": ("macedonian", "македонски"),
    "is": ("icelandic", "íslenska", "islenska"),
    "lb": ("luxembourgish", "lëtzebuergesch"),
    "cy": ("welsh", "cymraeg"),
}
_BY_NAME = {name: code for code, names in NAMES.items() for name in names}


def suggestion(value: str) -> str | None:
    """The language code ``value`` probably means, or None when it is a code already or unknown."""
    low = value.strip().lower()
    if low in _BY_NAME:
        return _BY_NAME[low]
    primary = low.replace("_", "-").split("-")[0]
    if primary in _BY_NAME:
        return _BY_NAME[primary]
    meant = WRONG_CODES.get(primary)
    return meant if meant and meant != primary else None


def is_known(value: str) -> bool:
    """False for a two-letter primary subtag that is not an ISO 639-1 code (``xq``, ``gr``)."""
    primary = value.split("-")[0]
    return len(primary) != 2 or primary in ISO_639_1
