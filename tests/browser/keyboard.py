"""Keyboard helpers for the browser tests: move focus with Tab only, and check it shows."""

from __future__ import annotations


def focus_is_visible(page) -> bool:
    """The focused element matches :focus-visible and draws an outline of at least 2 px."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return el.matches(':focus-visible') && style.outlineStyle !== 'none'
                && parseFloat(style.outlineWidth) >= 2;
        }"""
    )


def tab_to(page, selector: str, *, max_tabs: int = 60, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab) until ``selector`` has focus, which must then be visible."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(max_tabs):
        page.keyboard.press(key)
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            assert focus_is_visible(page), f"the focus on {selector} is not visible"
            return
    raise AssertionError(f"{selector} not reached with {max_tabs} presses of {key}")
