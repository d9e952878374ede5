"""Languages and times: zh_CN by default, English on request; dates shown in Asia/Shanghai.

The language comes from ``?lang=`` (remembered in the session), else ``DEFAULT_LOCALE``; the
browser's Accept-Language is deliberately not consulted. Times are stored in UTC and converted only here.
"""
from __future__ import annotations

from datetime import datetime

from urllib.parse import urlencode

from flask import Flask, current_app, request, session
from babel import Locale, support
from flask_babel import Domain, format_datetime, get_locale

from .auth.decorators import is_api_request
from .extensions import babel

LANG_SESSION_KEY = "lang"
LOCAL_DT_FORMAT = "yyyy-MM-dd HH:mm"
# Each language is named in itself, so anyone can find their own.
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def available_locales() -> list[str]:
    return list(current_app.config["LOCALES"])


def catalog_name(locale: Locale) -> str:
    """The directory of a locale's catalog: ``zh_CN`` for Babel's ``zh_Hans_CN``."""
    return "_".join(part for part in (locale.language, locale.territory) if part)


class CatalogDomain(Domain):  # type: ignore[misc]
    """Flask-Babel's message domain, finding catalogs by their common name.

    Babel expands ``zh_CN`` to ``zh_Hans_CN`` (adding the likely script) and gettext then
    looks only in ``zh_Hans_CN`` and ``zh``; the catalogs live under ``zh_CN``, the name
    translators and tools use. Catalogs are read once per process (they do not change).
    """

    def __init__(self, domain: str = "messages") -> None:
        super().__init__(domain=domain)
        self._catalogs: dict[tuple[str, tuple[str, ...]], support.NullTranslations] = {}

    def get_translations(self) -> support.NullTranslations:
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        directories = tuple(self.translation_directories)
        key = (str(locale), directories)
        cached = self._catalogs.get(key)
        if cached is None:
            merged = support.Translations()
            for directory in directories:
                catalog = support.Translations.load(directory, [catalog_name(locale), str(locale)], self.domain[0])
                merged.merge(catalog)
                if hasattr(catalog, "plural"):
                    merged.plural = catalog.plural
            cached = self._catalogs[key] = merged
        return cached


def remember_requested_locale() -> None:
    """Store ``?lang=`` in the session (pages only: API calls stay cookie-free)."""
    lang = request.args.get("lang")
    if lang and not is_api_request(request) and lang in available_locales():
        session[LANG_SESSION_KEY] = lang


def select_locale() -> str:
    locales = available_locales()
    lang = request.args.get("lang")
    if lang in locales:
        return str(lang)
    stored = session.get(LANG_SESSION_KEY)
    if stored in locales:
        return str(stored)
    # Chinese unless the user chose otherwise: a browser set to English on a bureau PC is no
    # reason to switch an official system's language behind the user's back.
    return str(current_app.config["DEFAULT_LOCALE"])


def local_dt(value: datetime | None, fmt: str = LOCAL_DT_FORMAT) -> str:
    """Jinja filter: a UTC datetime as local time (``TIMEZONE``), "" for None.

    Raises:
        ValueError: ``value`` is naive (storage only holds aware UTC times, so a naive one
            is a bug upstream, not something to guess about).
    """
    if value is None:
        return ""
    if value.tzinfo is None:
        raise ValueError("local_dt needs a timezone-aware datetime")
    return format_datetime(value, fmt)


def html_lang() -> str:
    """The ``lang`` attribute of the page: ``zh-CN`` or ``en``."""
    locale = get_locale()
    if locale is None:
        return str(current_app.config["DEFAULT_LOCALE"]).replace("_", "-")
    # "zh-CN", not Babel's "zh_Hans_CN": the form browsers and screen readers expect.
    return "-".join(part for part in (locale.language, locale.territory) if part)


def language_links() -> list[dict[str, object]]:
    """A link to the current page in each available language."""
    current = get_locale()
    links = []
    for code in available_locales():
        args = {**request.args.to_dict(), "lang": code}
        links.append({"code": code, "name": LANGUAGE_NAMES.get(code, code),
                      "url": f"{request.path}?{urlencode(args)}", "active": current is not None and Locale.parse(code) == current})
    return links


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        default_locale=app.config["DEFAULT_LOCALE"],
        default_timezone=app.config["TIMEZONE"],
        locale_selector=select_locale,
    )
    babel.domain_instance = CatalogDomain()
    app.before_request(remember_requested_locale)
    app.add_template_filter(local_dt, "local_dt")
    app.context_processor(lambda: {"html_lang": html_lang, "language_links": language_links})
