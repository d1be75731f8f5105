"""Find every form a signed-in person can see, for tests that post to all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class FoundForm:
    page: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> option values


class FormParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.forms: list[FoundForm] = []
        self.current: FoundForm | None = None
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.current = FoundForm(self.page, attrs.get("action") or self.page)
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag in ("input", "textarea", "select") and attrs.get("name"):
            name = attrs["name"]
            if name == "csrf_token" or attrs.get("type") in ("submit", "button"):
                return
            values = self.current.fields.setdefault(name, [])
            if attrs.get("type") in ("checkbox", "radio") and attrs.get("value") is not None:
                values.append(attrs["value"])
            if tag == "select":
                self.select = name
        elif tag == "option" and self.select:
            self.current.fields[self.select].append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


def forms_on(page: str, html: str) -> list[FoundForm]:
    parser = FormParser(page)
    parser.feed(html)
    return [form for form in parser.forms if form.fields]
