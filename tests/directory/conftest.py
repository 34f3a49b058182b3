"""The browser fixtures of the story (a chromium, the live server, logged-in pages), shared
with the browser test of this folder."""

from __future__ import annotations

from ..web.test_browser_story import browser, keep_reference_data, story  # noqa: F401
