"""The message catalogues: read the sources' texts into them, and find what is missing.

Two kinds of catalogue, one set per language of server.i18n.LANGUAGES:
- gettext, for the server's templates (web/templates, displays/board.html) and its `_()`,
  `gettext()`, `ngettext()` and `N_()` calls: server/locale/<lang>/LC_MESSAGES/messages.po;
- JSON, for the browser scripts' `t()` (web/static/js, displays): web/static/i18n/<lang>.json,
  {"texts": {english: translation}, "errors": {API error code: text}}.

`extract()` (behind `clinic i18n extract`, scripts/i18n.sh) adds every new text to every
catalogue, untranslated; `problems()` (behind tests/test_i18n.py and `clinic i18n check`) lists
each text written outside a catalogue and each translation missing in a language.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from server.i18n import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, LOCALE_DIR, locale_name

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = (ROOT / "web" / "templates", ROOT / "displays")
SCRIPTS = (ROOT / "web" / "static" / "js", ROOT / "displays")
JSON_DIR = ROOT / "web" / "static" / "i18n"
NOTIFY = ROOT / "server" / "notify" / "templates"
SERVER = ROOT / "server"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
# The generated module and the API docs' loader hold no text of ours.
SCRIPT_SKIP = {"api-docs.js"}
# Attributes a person reads or hears.
TEXT_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "label"}
# Elements whose text is code or a key name, not language.
CODE_ELEMENTS = {"script", "style", "code", "kbd", "pre"}
WORD = re.compile(r"[^\W\d_]{2,}")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
JINJA_STRING = re.compile(r"""(?<![\w(])(?:"([^"]*)"|'([^']*)')""")
IGNORE = "i18n-ignore"
# Object keys and properties whose strings are code (classes, ids, types), not language.
CODE_KEYS = {"class", "className", "id", "type", "role", "rel", "href", "src", "name", "for"}
CODE_CALLS = {"Error", "closest", "querySelector", "querySelectorAll", "matches", "warn", "log"}
ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^[A-Z]{4,}$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing the catalogue check found: where, and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


# ---- the sources ----


def template_files() -> list[Path]:
    """Return the server's HTML templates (the board's page included)."""
    return sorted(p for folder in TEMPLATES for p in folder.rglob("*.html"))


def script_files() -> list[Path]:
    """Return the browser scripts whose texts go through `t()`."""
    return sorted(p for folder in SCRIPTS for p in folder.glob("*.js") if p.name not in SCRIPT_SKIP)


def python_files() -> list[Path]:
    """Return the server's modules (their `_()`, `N_()` … calls are gettext messages)."""
    return sorted(p for p in SERVER.rglob("*.py") if "simulation" not in p.parts)


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def server_messages() -> dict[str, list[str]]:
    """Return each gettext message id (a plural's singular too) and where it is used."""
    found: dict[str, list[str]] = {}
    sources = [(p, "jinja2.ext:babel_extract") for p in template_files()]
    sources += [(p, "python") for p in python_files()]
    for path, method in sources:
        options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
        for line, message, _comments, _context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:  # a plural is found by its singular
                found.setdefault(msgid, []).append(f"{_relative(path)}:{line}")
    return found


# ---- the browser scripts: a small lexer, enough for string literals and t() calls ----


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of script: a name, a punctuator, a string or template literal."""

    kind: str  # "name" | "punct" | "string" | "template"
    value: str  # a literal's text; a template's ${…} parts read "{}"
    line: int


PUNCT_BEFORE_REGEX = set("(,=:[!&|?{};+-*%<>~^") | {"return", "typeof", "case", "=>"}


def _lex(source: str, line: int = 1) -> Iterator[Token]:  # noqa: C901 (one loop, one lexer)
    i, n = 0, len(source)
    previous: Token | None = None
    while i < n:
        char = source[i]
        if char == "\n":
            line += 1
            i += 1
            continue
        if char.isspace():
            i += 1
            continue
        if source.startswith("//", i):
            i = source.find("\n", i) if "\n" in source[i:] else n
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += source.count("\n", i, end)
            i = end
            continue
        if char in "\"'":
            j, text = i + 1, []
            while j < n and source[j] != char:
                if source[j] == "\\" and j + 1 < n:
                    text.append(source[j : j + 2])
                    j += 2
                    continue
                text.append(source[j])
                j += 1
            previous = Token("string", _unescape("".join(text)), line)
            yield previous
            i = j + 1
            continue
        if char == "`":
            j, text, start_line = i + 1, [], line
            while j < n and source[j] != "`":
                if source[j] == "\\" and j + 1 < n:
                    text.append(source[j : j + 2])
                    j += 2
                elif source.startswith("${", j):
                    depth, k = 1, j + 2
                    while k < n and depth:
                        depth += {"{": 1, "}": -1}.get(source[k], 0)
                        k += 1
                    inner = source[j + 2 : k - 1]
                    yield from _lex(inner, line)  # t() calls inside ${…} count too
                    line += inner.count("\n")
                    text.append("{}")
                    j = k
                else:
                    if source[j] == "\n":
                        line += 1
                    text.append(source[j])
                    j += 1
            previous = Token("template", _unescape("".join(text)), start_line)
            yield previous
            i = j + 1
            continue
        if char == "/" and (previous is None or previous.value in PUNCT_BEFORE_REGEX):
            j, in_class = i + 1, False  # a regular expression literal: skip it
            while j < n and (source[j] != "/" or in_class):
                if source[j] == "\\":
                    j += 1
                elif source[j] == "[":
                    in_class = True
                elif source[j] == "]":
                    in_class = False
                j += 1
            j += 1
            while j < n and source[j].isalpha():
                j += 1
            previous = Token("name", "/regex/", line)
            i = j
            continue
        if char.isalnum() or char in "_$":
            j = i
            while j < n and (source[j].isalnum() or source[j] in "_$"):
                j += 1
            previous = Token("name", source[i:j], line)
            yield previous
            i = j
            continue
        for op in ("===", "!==", "=>", "==", "!=", "&&", "||", "??", "?."):
            if source.startswith(op, i):
                previous = Token("punct", op, line)
                yield previous
                i += len(op)
                break
        else:
            previous = Token("punct", char, line)
            yield previous
            i += 1


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def looks_like_text(value: str) -> bool:
    """Tell whether a script's string is words a person reads (not a class, id, path or key)."""
    plain = value.replace("{}", " ")
    words = WORD.findall(plain)
    if not words or plain.strip().startswith(("/", "#", ".", "http")):
        return False
    if all(w.isupper() for w in words):  # codes, methods, header names
        return False
    if any(w[0].isupper() and w[1:].islower() for w in words):
        return True
    parts = plain.split()
    # Class lists and ids have hyphenated or single words; prose has several plain ones.
    return len(parts) >= 2 and not any("-" in p or "_" in p or "=" in p for p in parts)


@dataclass(frozen=True, slots=True)
class ScriptText:
    """A string of a script: a t() key, or a text left outside t()."""

    path: str
    line: int
    value: str
    is_key: bool


def script_texts(path: Path) -> Iterator[ScriptText]:
    """Yield a script's t() keys, and its strings that read as text but are not keys."""
    source = path.read_text(encoding="utf-8")
    ignored = {no for no, text in enumerate(source.splitlines(), 1) if IGNORE in text}
    tokens = list(_lex(source))
    where = _relative(path)
    for index, token in enumerate(tokens):
        if token.kind not in ("string", "template"):
            continue
        before = [tok.value for tok in tokens[max(0, index - 2) : index]]
        after = tokens[index + 1].value if index + 1 < len(tokens) else ""
        if before[-2:] == ["t", "("] or before[-2:] == ["errorText", "("]:
            if token.kind == "string" and before[-2] == "t":
                yield ScriptText(where, token.line, token.value, True)
            continue
        if token.line in ignored or (before and before[-1] in ("[", "from")):
            continue
        if after == ":" and before and before[-1] in ("{", ","):  # an object's key
            continue
        if len(before) == 2 and (before[0] in CODE_KEYS and before[1] in (":", "=")):
            continue  # a class list, an id, a selector, an error for the console
        if len(before) == 2 and before[0] in CODE_CALLS and before[1] == "(":
            continue
        if before and before[-1] in ("===", "!==", "==", "!=", "case", "import"):
            continue
        if looks_like_text(token.value):
            yield ScriptText(where, token.line, token.value, False)


def script_keys() -> dict[str, list[str]]:
    """Return each t() key of the scripts and where it is used."""
    found: dict[str, list[str]] = {}
    for path in script_files():
        for text in script_texts(path):
            if text.is_key:
                found.setdefault(text.value, []).append(f"{text.path}:{text.line}")
    return found


# ---- the API's error codes ----


def error_codes() -> dict[str, str]:
    """Return each error code the server raises, with its (first) English message."""
    codes: dict[str, str] = {}
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            strings = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if name == "not_found" and strings and isinstance(strings[0], str):
                what = strings[0]
                codes.setdefault(f"{what.upper()}_NOT_FOUND", f"{what.replace('_', ' ')} not found")
                continue
            if not (name.endswith(("Error", "Refusal")) or name in _REFUSALS):
                continue
            texts = [s for s in strings if isinstance(s, str)]
            for position, text in enumerate(texts):
                if ERROR_CODE.match(text):
                    following = texts[position + 1 : position + 2]
                    codes.setdefault(text, following[0] if following else _spoken(text))
                    break
    return codes


_REFUSALS = {
    "Conflict",
    "Invalid",
    "NotFound",
    "Forbidden",
    "Malformed",
    "Unauthenticated",
    "RateLimited",
    "Unavailable",
    "InvalidTransition",
    "APIError",
    "DomainError",
}


# ---- the catalogues ----


def po_path(language: str) -> Path:
    """Return the gettext catalogue of a language."""
    return LOCALE_DIR / locale_name(language) / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    """Read a language's gettext catalogue (an empty one if there is none yet)."""
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=locale_name(language), domain=DOMAIN)
    with path.open("rb") as source:
        return read_po(source, locale=locale_name(language))


def json_path(language: str) -> Path:
    """Return the browser catalogue of a language."""
    return JSON_DIR / f"{language}.json"


def read_json(language: str) -> dict[str, dict[str, Any]]:
    """Read a language's browser catalogue."""
    path = json_path(language)
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {"texts": dict(data.get("texts", {})), "errors": dict(data.get("errors", {}))}


def write_json(language: str, data: dict[str, dict[str, Any]]) -> None:
    """Write a browser catalogue, keys sorted (small diffs)."""
    JSON_DIR.mkdir(parents=True, exist_ok=True)
    ordered = {part: dict(sorted(data[part].items())) for part in ("texts", "errors")}
    text = json.dumps(ordered, ensure_ascii=False, indent=1) + "\n"
    json_path(language).write_text(text, encoding="utf-8")


def _template_catalog() -> Catalog:
    """Build the template catalogue (messages.pot) from the sources."""
    template = Catalog(
        domain=DOMAIN,
        project="clinic-queue",
        copyright_holder="the clinic-queue authors",
        msgid_bugs_address="",
        fuzzy=False,
    )
    sources = [(p, "jinja2.ext:babel_extract") for p in template_files()]
    sources += [(p, "python") for p in python_files()]
    options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
    for path, method in sources:
        for line, message, comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            template.add(
                message,
                None,
                [(_relative(path), line)],
                auto_comments=comments,
                context=context,
            )
    return template


def extract() -> list[str]:
    """Read the sources into every catalogue; return what changed, one line each."""
    said: list[str] = []
    template = _template_catalog()
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    pot = LOCALE_DIR / f"{DOMAIN}.pot"
    if pot.exists():  # unchanged texts keep their date: no diff without a change
        with pot.open("rb") as source:
            old = read_po(source)
        if _texts(old) == _texts(template):
            template.creation_date = old.creation_date
    with pot.open("wb") as out:
        write_po(out, template, omit_header=False, sort_output=True)
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        catalog = read_catalog(language)
        catalog.project, catalog.fuzzy = template.project, False
        before = {m.id for m in catalog if m.id}
        dated = catalog.creation_date
        catalog.update(template, no_fuzzy_matching=True)
        added = {m.id for m in catalog if m.id} - before
        if not added and before == {m.id for m in catalog if m.id}:
            catalog.creation_date = dated
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            write_po(out, catalog, sort_output=True, ignore_obsolete=True, include_previous=False)
        said.append(f"{_relative(path)}: {len(added)} new, {len(catalog)} in all")
    keys, codes = script_keys(), error_codes()
    for language in LANGUAGES:
        data = read_json(language)
        english = language == DEFAULT_LANGUAGE
        new_texts = [k for k in keys if k not in data["texts"]]
        for key in new_texts:
            data["texts"][key] = key if english else ""
        new_codes = [c for c in codes if c not in data["errors"]]
        for code in new_codes:
            data["errors"][code] = _sentence(codes[code]) if english else ""
        data["texts"] = {k: v for k, v in data["texts"].items() if k in keys}
        write_json(language, data)
        said.append(
            f"{_relative(json_path(language))}: {len(new_texts)} new texts, "
            f"{len(new_codes)} new error codes"
        )
    return said


def _texts(catalog: Catalog) -> list[tuple[str, list[tuple[str, int | None]]]]:
    return sorted((str(m.id), sorted(m.locations)) for m in catalog if m.id)


def _spoken(code: str) -> str:
    return code.replace("_", " ").lower()


def _sentence(message: str) -> str:
    """Write a server message as a sentence ("slot is full" -> "Slot is full.")."""
    message = message.strip()
    if not message:
        return message
    return message[0].upper() + message[1:] + ("" if message.endswith((".", "!", "?")) else ".")


# ---- the check ----


class _TemplateText(HTMLParser):
    """Collect a template's bare text nodes and text attributes (Jinja masked out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value and WORD.search(value):
                self.found.append((self.getpos()[0], f'{name}="{value}"'))
        if tag not in {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if CODE_ELEMENTS.intersection(self.open) or not WORD.search(data):
            return
        self.found.append((self.getpos()[0], " ".join(data.split())))


def template_problems(path: Path) -> list[Problem]:
    """List a template's texts that do not come from `_()`."""
    source = path.read_text(encoding="utf-8")
    problems: list[Problem] = []
    for match in JINJA.finditer(source):
        expression = match.group()
        if not expression.startswith("{{"):
            continue
        line = source.count("\n", 0, match.start()) + 1
        for literal in JINJA_STRING.finditer(expression):
            text = literal.group(1) or literal.group(2) or ""
            before = expression[: literal.start()].rstrip()
            if before.endswith(("_(", "gettext(", "ngettext(", ",")) or "%(" in text:
                continue
            if looks_like_text(text) and not before.endswith(("==", "!=", "[")):
                problems.append(Problem(f"{_relative(path)}:{line}", f"text outside _(): {text!r}"))
    # Mask Jinja (keeping the lines) so that only the template's own text is left.
    masked = JINJA.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), source)
    parser = _TemplateText()
    parser.feed(masked)
    parser.close()
    for line, text in parser.found:
        problems.append(Problem(f"{_relative(path)}:{line}", f"text outside _(): {text!r}"))
    return problems


def problems() -> list[Problem]:  # noqa: C901 (one list of checks)
    """List every text outside a catalogue and every translation missing in a language."""
    found: list[Problem] = []
    for path in template_files():
        found += template_problems(path)
    for path in script_files():
        for text in script_texts(path):
            if not text.is_key:
                found.append(
                    Problem(f"{text.path}:{text.line}", f"text outside t(): {text.value!r}")
                )
    messages = server_messages()
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        catalog = read_catalog(language)
        where = _relative(po_path(language))
        for msgid, used in messages.items():
            entry = catalog.get(msgid)
            if entry is None:
                found.append(Problem(where, f"missing {msgid!r} (used at {used[0]})"))
                continue
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            if entry.fuzzy or not all(strings):
                found.append(Problem(where, f"untranslated {msgid!r} (used at {used[0]})"))
    keys, codes = script_keys(), error_codes()
    for language in LANGUAGES:
        data = read_json(language)
        where = _relative(json_path(language))
        for key, used in keys.items():
            if not data["texts"].get(key):
                found.append(Problem(where, f"missing text {key!r} (used at {used[0]})"))
        for code in codes:
            if not data["errors"].get(code):
                found.append(Problem(where, f"missing error text for code {code}"))
        for key, value in data["texts"].items():
            if isinstance(value, dict) and "other" not in value:
                found.append(Problem(where, f"plural forms of {key!r} have no 'other'"))
    english = sorted(p.name for p in (NOTIFY / "en").glob("*.txt"))
    for folder in sorted(p for p in NOTIFY.iterdir() if p.is_dir()):
        for name in english:
            if not (folder / name).exists():
                found.append(Problem(_relative(folder), f"message template {name} is missing"))
    return found
