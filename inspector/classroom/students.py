"""The class roll: each student's folder under the server's data directory, and the key that opens it.

A browser names a student; nothing else it sends becomes part of a path. The name must match NAME_RULE
(lowercase letters, digits, - and _), so it is one plain folder name and never '..', '/' or a hidden
file. The first browser to use a name gets a random key, kept in the student's folder; the page's
address carries it (?student=ana&key=...), so a refresh or a bookmark opens the same work again, and
another student who types the same name is turned away instead of reading or overwriting it.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

NAME_RULE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
KEY_RULE = re.compile(r"[A-Za-z0-9_-]{16,64}")
KEY_FILE = "key"


class StudentNameError(ValueError):
    """A name that cannot be a student's folder; the message says what a name may hold."""


def student_name(text: str) -> str:
    """The folder name for what a student typed: trimmed and lowercased (Ana and ana are one student)."""
    name = text.strip().lower()
    if not NAME_RULE.fullmatch(name):
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise StudentNameError(
            f"'{shown}' cannot be a name here: use 1 to 32 letters a-z, digits, - or _, "
            "starting with a letter or digit (e.g. ana or ana-k)"
        )
    return name


class Roll:
    """The students under `root` (the server's data directory / students), one folder each."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, name: str) -> Path:
        """The student's folder; `name` must already have passed student_name (checked again here)."""
        if not NAME_RULE.fullmatch(name):
            raise StudentNameError(f"not a student name: {name!r}")
        return self.root / name

    def enrol(self, name: str) -> str | None:
        """Make a new student's folder and key and return the key; None when the name is taken.

        The key file is created with O_EXCL, so of two browsers claiming one name at once only one wins.
        """
        folder = self.folder(name)
        folder.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(18)
        try:
            descriptor = os.open(folder / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return None
        with os.fdopen(descriptor, "w", encoding="ascii") as stream:
            stream.write(key + "\n")
        return key

    def admits(self, name: str, key: str) -> bool:
        """True when `key` is the key of `name` (an enrolled student); compared in constant time."""
        if not NAME_RULE.fullmatch(name) or not KEY_RULE.fullmatch(key):
            return False
        try:
            kept = (self.folder(name) / KEY_FILE).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return False
        return secrets.compare_digest(kept, key)
