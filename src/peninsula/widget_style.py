"""What every kit widget shares: one layout and HTML style, a visible focus ring and a keyboard hint."""

from __future__ import annotations

import functools

import ipywidgets as widgets

#: The class on every kit widget, and a focus ring on its controls: ipywidgets marks focus only by a
#: faint change of border colour, and JupyterLab's own rules turn outlines off (hence !important).
#: Blue on white is 5.2:1, above the 3:1 WCAG asks of focus indicators.
KIT_CLASS = "peninsula-widget"
#: JupyterLab's notebook takes the arrow keys of a closed menu for moving between cells
#: (jupyter-widgets/ipywidgets#3912), so the widgets say how a menu works from the keyboard.
KEYBOARD_HINT = (
    '<p class="peninsula-hint" style="color:#4d4d4d;font-size:90%">Keyboard: Tab moves between the '
    "controls; on a menu, Space opens it, then the arrow keys and Enter choose.</p>"
)
FOCUS_STYLE = (
    f"<style>.{KIT_CLASS} select:focus, .{KIT_CLASS} input:focus-visible, .{KIT_CLASS} button:focus-visible"
    "{outline: 3px solid #0072B2 !important; outline-offset: 2px}</style>"
)


@functools.cache
def shared_layout(**css: str) -> widgets.Layout:
    """One Layout for every kit widget with the same `css`. Each widget would otherwise open its own
    Layout and style widgets, which is most of what creating a widget costs in a kernel. The kit never
    changes a layout after creating it, so sharing is safe."""
    return widgets.Layout(**css)


@functools.cache
def _html_style() -> widgets.Widget:
    from ipywidgets.widgets.widget_string import HTMLStyle

    return HTMLStyle()


def html_widget(value: str = "") -> widgets.HTML:
    """An HTML widget on the shared layout and style."""
    return widgets.HTML(value, layout=shared_layout(), style=_html_style())
