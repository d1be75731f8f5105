"""Rendered page fragments kept per process, keyed by everything they are made from.

A fragment's key holds the data it shows (read fresh on every request) as well as
the arguments it depends on, so a change to that data is a new key: nothing needs
invalidating, across workers or hosts. Only the rendering is saved, never a query.
A fragment is Jinja's rendered template module: its ``__html__`` hands the output,
autoescaped when it was rendered, to the page as it is.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app
from jinja2.environment import TemplateModule


class FragmentCache:
    """The most recently used fragments, at most ``size`` of them."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._fragments: OrderedDict[Hashable, TemplateModule] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], TemplateModule]) -> TemplateModule:
        with self._lock:
            fragment = self._fragments.get(key)
            if fragment is not None:
                self._fragments.move_to_end(key)
                return fragment
        fragment = render()
        with self._lock:
            self._fragments[key] = fragment
            while len(self._fragments) > self.size:
                self._fragments.popitem(last=False)
        return fragment


def fragment_cache() -> FragmentCache:
    return current_app.extensions.setdefault("kindred_fragments", FragmentCache())


def render_fragment(template: str, **context: Any) -> TemplateModule:
    """Render ``template`` with the app's usual template context, once, as a module."""
    current_app.update_template_context(context)
    return current_app.jinja_env.get_template(template).make_module(context)
