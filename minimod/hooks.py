"""RemovableHandle: what every register_*_hook returns, to take the hook away again."""

from __future__ import annotations

import itertools


class RemovableHandle:
    """Removes one hook from the dict(s) it was put in; also a context manager."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict = hooks_dict
        self.extra_dict = extra_dict  # e.g. the "always call" flags of a forward hook
        self.id = next(RemovableHandle._next_id)

    def remove(self) -> None:
        for hooks in (self.hooks_dict, self.extra_dict):
            if hooks is not None:
                hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
        return False

    def __repr__(self):
        return f"<RemovableHandle id={self.id}>"
