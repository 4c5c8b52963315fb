"""Browser tests use the `browser` and `page` fixtures of tests/conftest.py (one Chromium for
the whole run, Debian's, driven by Playwright)."""
