"""``--lang``: one option for every command that renders text for people.

Accepts ``en``, ``zh`` (= ``zh-Hans``), ``zh-Hans`` and ``zh-Hant`` and hands the
command the canonical name (:func:`patrol.i18n.resolve`); the default comes from the locale
(``LANG=zh_CN.UTF-8`` gives ``zh-Hans``, ``zh_TW``/``zh_HK`` give ``zh-Hant``) unless a
command fixes one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from patrol.i18n import LANG_CHOICES, LANG_HELP, default_lang, resolve

__all__ = ["lang_option"]


def _canonical(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else resolve(value)


def lang_option(what: str = "Report language", default: str | None = None) -> Callable[..., Any]:
    """The ``--lang`` decorator; ``default`` (e.g. ``"en"``) replaces the locale's language."""
    return click.option(
        "--lang",
        type=click.Choice(LANG_CHOICES),
        default=default or default_lang,
        show_default=default is not None,
        callback=_canonical,
        help=f"{what}: {LANG_HELP}",
    )
