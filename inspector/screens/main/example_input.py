"""The example input's prompt (i): the current shape and dtype, or what the first layer suggests."""

from __future__ import annotations

from inspector.screens.dialogs import PromptScreen
from inspector.session import Session


def spec(shape: tuple[int, ...], dtype: str) -> str:
    """`1,3,32,32`, or `1,8 int64`: what the prompt takes (float32 goes without saying)."""
    return ",".join(str(size) for size in shape) + ("" if dtype == "float32" else f" {dtype}")


def input_prompt(session: Session) -> PromptScreen:
    """Ask for the example input's shape and dtype (the current one, or one read from the first layer)."""
    from inspector.targets import suggest_input

    example = session.example_input
    suggestion = suggest_input(session.model)
    value = ""
    if example is not None and hasattr(example, "shape") and not isinstance(example, tuple):
        value = spec(tuple(example.shape), str(session.adapter.array(example).dtype))
    elif suggestion is not None:
        value = spec(*suggestion)
    hint = "a shape, then a dtype if not float32 (int64 makes token ids); enter to accept"
    if suggestion is not None:
        hint = f"the first layer suggests {spec(*suggestion)}; {hint}"
    return PromptScreen("Example input: shape and dtype", value, "e.g. 1,3,32,32 or 1,8 int64", hint)
