"""Rendering a mail from its template files: ``<kind>.txt`` (which also sets ``subject``) and
``<kind>.html`` (autoescaped), both extending the shared layouts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATE_DIR = Path(__file__).parent / "templates"

#: How a kind is named in "unsubscribe from ... mails".
KIND_LABELS = {
    "welcome": "welcome",
    "first_followers": "first-followers",
    "roster_complete": "roster-complete",
    "weekly_digest": "weekly digest",
    "needs_reauth": "sign-in reminder",
    "reciprocity_warning": "reciprocity",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a template asking for data nobody gave fails loudly
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def kinds_with_templates() -> set[str]:
    return {p.stem for p in TEMPLATE_DIR.glob("*.txt") if not p.name.startswith("_")} & {
        p.stem for p in TEMPLATE_DIR.glob("*.html") if not p.name.startswith("_")
    }


def render(kind: str, context: dict[str, Any]) -> Rendered:
    """The subject, HTML and text of a ``kind`` mail for ``context``."""
    env = environment()
    values = {"unsubscribe_url": None, "kind_label": KIND_LABELS.get(kind, kind), **context}
    text_template = env.get_template(f"{kind}.txt")
    module = text_template.make_module(values)
    subject = str(getattr(module, "subject", "")).strip()
    if not subject:
        raise ValueError(f"template {kind}.txt sets no subject")
    text = str(module).strip() + "\n"
    html = env.get_template(f"{kind}.html").render({**values, "subject": subject})
    return Rendered(subject=subject, html=html, text=text)
