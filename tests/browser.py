"""Debian's Chromium, as the admin's browser test and the screenshots launch it.

Headless, and quiet on a machine without internet: without the background-networking flags
it keeps trying to reach Google's hosts.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
