"""Report languages: ``en``, ``zh-Hans`` (Simplified, mainland wording) and ``zh-Hant``
(Traditional, Taiwan/Hong Kong wording), and the one place that turns authored Chinese into either.

Chinese is authored once, in Traditional characters (``LABELS["zh"]``, a profile's ``title.zh``,
a proposal's ``text.zh``). :func:`zh_text` renders it in the reader's script with that script's
glossary (``glossary.yml`` beside this module: phrase by phrase, then OpenCC's character table
for Simplified)::

    >>> zh_text("網絡設備的存儲介面", "zh-Hans")
    '网络设备的存储接口'
    >>> zh_text("網絡設備的存儲介面", "zh-Hant")
    '網路設備的儲存介面'

Language names are resolved in one place (:func:`resolve`): ``zh`` and ``zh_CN``/``zh-SG`` are
``zh-Hans``; ``zh_TW``/``zh_HK``/``zh_MO`` are ``zh-Hant``; anything else is ``en``.
:func:`default_lang` reads the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``) the same way.

Cost (measured): loading OpenCC's tables and the glossary once per process ~110 ms, on first use
(never at import); the 111 report labels then take ~10 ms to Simplified, ~0.3 ms to Traditional;
every converted text is cached.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TypeVar, cast

import yaml
from opencc import OpenCC

__all__ = [
    "HANS",
    "HANT",
    "LANGS",
    "LANG_CHOICES",
    "LANG_HELP",
    "catalogue",
    "cjk_font",
    "default_lang",
    "docx_lang",
    "is_zh",
    "pick",
    "resolve",
    "zh_text",
]

HANS, HANT = "zh-Hans", "zh-Hant"
#: The canonical languages.
LANGS = ("en", HANS, HANT)
#: What ``--lang`` accepts (``zh`` is ``zh-Hans``).
LANG_CHOICES = ("en", "zh", HANS, HANT)
LANG_HELP = ("en, zh-Hans (Simplified) or zh-Hant (Traditional); zh means zh-Hans "
             "[default: from the locale: zh_CN gives zh-Hans, zh_TW/zh_HK zh-Hant].")

V = TypeVar("V")

_HANT_REGIONS = ("tw", "hk", "mo", "hant")
_GLOSSARY = Path(__file__).with_name("glossary.yml")


def resolve(lang: str | None) -> str:
    """The canonical language of ``lang`` (a ``--lang`` value or a locale such as ``zh_TW.UTF-8``)."""
    if not lang:
        return "en"
    parts = re.split(r"[-_.@]", lang.strip().lower())
    if parts[0] != "zh":
        return "en"
    return HANT if any(p in _HANT_REGIONS for p in parts[1:3]) else HANS


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """The language of the locale: the first set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return resolve(env[name])
    return "en"


def is_zh(lang: str) -> bool:
    """True for any Chinese language name (``zh``, ``zh-Hans``, ``zh_TW`` …)."""
    return resolve(lang) != "en"


def cjk_font(lang: str) -> str:
    """The Noto Sans CJK face whose glyph shapes match ``lang``'s script (SC for zh-Hans, else TC)."""
    return "Noto Sans CJK SC" if resolve(lang) == HANS else "Noto Sans CJK TC"


def docx_lang(lang: str) -> str:
    """The ``w:eastAsia`` language tag of a Word document in ``lang``."""
    return "zh-TW" if resolve(lang) == HANT else "zh-CN"


@lru_cache(maxsize=1)
def _glossary() -> dict[str, tuple[re.Pattern[str], dict[str, str]]]:
    terms = yaml.safe_load(_GLOSSARY.read_text(encoding="utf-8"))
    tables: dict[str, tuple[re.Pattern[str], dict[str, str]]] = {}
    for script, key in ((HANS, "hans"), (HANT, "hant")):
        table = {v: str(t[key]) for t in terms.values() for v in t["variants"]}
        pattern = re.compile("|".join(re.escape(v) for v in sorted(table, key=len, reverse=True)))
        tables[script] = (pattern, table)
    return tables


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


@lru_cache(maxsize=8192)
def zh_text(text: str, lang: str) -> str:
    """Authored (Traditional) Chinese ``text`` in ``lang``'s script and glossary; ``en`` keeps it."""
    script = resolve(lang)
    if script == "en" or not text:
        return text
    pattern, table = _glossary()[script]
    text = pattern.sub(lambda m: table[m.group(0)], text)
    return str(_t2s().convert(text)) if script == HANS else text


def pick(en: str, zh: str | None, lang: str) -> str:
    """``en`` in English, else the Chinese ``zh`` in ``lang``'s script (``en`` when there is none)."""
    return zh_text(zh, lang) if zh and is_zh(lang) else en


def _converted(value: V, lang: str) -> V:
    if isinstance(value, str):
        return cast(V, zh_text(value, lang))
    if isinstance(value, tuple):
        return cast(V, tuple(_converted(v, lang) for v in value))
    return value


def catalogue(by_lang: Mapping[str, Mapping[str, V]], lang: str) -> dict[str, V]:
    """A ``{"en": {...}, "zh": {...}}`` catalogue in ``lang``: ``zh`` texts (strings or tuples of them)
    converted to ``lang``'s script and glossary, keys without Chinese in English."""
    if resolve(lang) == "en":
        return dict(by_lang["en"])
    return dict(by_lang["en"]) | {k: _converted(v, lang) for k, v in by_lang.get("zh", {}).items()}
