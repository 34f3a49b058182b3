"""The keyboard focus ring stands out (WCAG 1.4.11: 3:1 against what is next to it): on the
white cards, on the page background, and on the green header."""

from __future__ import annotations

import re
from pathlib import Path

CSS = (Path(__file__).resolve().parents[2] / "yiri" / "web" / "static" / "web" / "yiri.css").read_text()


def luminance(hex_color: str) -> float:
    channels = [int(hex_color.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted([luminance(a), luminance(b)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def variable(name: str) -> str:
    value = re.search(rf"--{name}:#([0-9a-fA-F]{{6}}|[0-9a-fA-F]{{3}})\b", CSS).group(1)
    return "#" + (value if len(value) == 6 else "".join(c * 2 for c in value))


def test_the_old_amber_ring_was_too_faint_on_white():
    assert contrast("#ffbf00", "#ffffff") < 3  # 1.65:1, the fault this file guards against


def test_the_focus_ring_has_3_to_1_against_cards_and_page_background():
    assert re.search(r":focus-visible\{outline:3px solid var\(--focus\)", CSS)
    for background in ("card", "bg", "errbg", "warnbg", "okbg"):
        assert contrast(variable("focus"), variable(background)) >= 3, background


def test_the_focus_ring_on_the_green_header_has_3_to_1_too():
    rule = re.search(r"\.top :focus-visible\{outline-color:var\(--(\w[\w-]*)\)", CSS)
    assert rule, "the header needs its own ring colour: the dark ring vanishes on green"
    assert contrast(variable(rule.group(1)), variable("brand")) >= 3
