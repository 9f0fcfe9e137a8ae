"""The main screen's keys: one table for its bindings, footer, help list (?) and command palette (ctrl+p)."""

from __future__ import annotations

# (key, action, footer label, shown in the footer, command palette title, help text)
COMMANDS: list[tuple[str, str, str, bool, str, str]] = [
    ("f", "forward", "Forward", True, "Run forward",
     "Run the model on the example input, tracing every hook"),
    ("b", "backward", "Backward", True, "Run backward",
     "Forward, a loss on random targets, and backward (gradients from zero)"),
    ("o", "step", "Step", True, "Optimizer step", "Forward, backward and one SGD step"),
    ("t", "train", "Train", True, "Train N steps", "Ask for N, then take N optimizer steps (x stops)"),
    ("x", "stop", "Stop", False, "Stop training", "Stop a training run after its current step"),
    ("n", "step_next", "Next", True, "Step through: next event",
     "Replay the last run one event at a time; highlights the module in the tree"),
    ("p", "step_previous", "Prev event", False, "Step through: previous event", "Go back one event"),
    ("escape", "leave", "Leave step", False, "Leave step-through",
     "Show the whole trace again (and clear the error panel)"),
    ("m", "toggle_mode", "Mode", True, "Toggle train/eval of the selected subtree",
     "Flip the selected module and its children between train and eval"),
    ("M", "toggle_model_mode", "Model mode", False, "Toggle train/eval of the whole model",
     "Flip every module between train and eval"),
    ("c", "compare", "Compare", True, "Compare train and eval",
     "Run the input in both modes: modules whose outputs differ, buffers a training forward changes"),
    ("I", "intervene", "Intervene", False, "Intervene: replace the selected module's output",
     "A forward hook that returns a new output (zero, a factor such as 0.5, or =1 for a constant) from the "
     "next forward on: what a hook returns replaces the output, as register_forward_hook(lambda m, i, o: "
     "o * 0) does in PyTorch. The tree and the trace mark it"),
    ("u", "undo_intervention", "Unhook", False, "Undo the selected module's intervention",
     "Remove its hook (handle.remove()): the module's own output again from the next forward"),
    ("U", "undo_interventions", "Unhook all", False, "Undo every intervention", "Remove every hook I added"),
    ("s", "save", "Save", True, "Save state_dict snapshot", "mm.save the state_dict to a .npz file"),
    ("l", "load", "Load", True, "Load state_dict (strict)", "load_state_dict from a .npz file, strict=True"),
    ("L", "load_nonstrict", "Load loose", False, "Load state_dict (strict=False)",
     "load_state_dict from a .npz file with strict=False"),
    ("d", "diff", "Diff", False, "Diff against snapshot", "Compare every state_dict key with the snapshot"),
    ("C", "compare_files", "Compare files", False, "Compare two state dicts (files or the model)",
     "Ask for A, then B: a .npz file, a TARGET (a zoo name: its state dict from seed 0) or 'model' (the live "
     "one). The State dict tab lists, per module, missing and unexpected keys, shape and dtype mismatches "
     "and changed tensors by the norm of the change; d goes back to the snapshot diff"),
    ("e", "export", "SVG", True, "Export diagram to SVG",
     "Draw the current view (tree, flow or autograd) at the current depth and folds"),
    ("v", "cycle_view", "View", False, "Cycle diagram view", "tree -> flow -> autograd"),
    ("plus", "depth(1)", "Depth+", False, "Diagram depth +1", "Show one more level of modules (up to all)"),
    ("minus", "depth(-1)", "Depth-", False, "Diagram depth -1", "Collapse modules one level higher"),
    ("z", "toggle_fold", "Fold", False, "Diagram fold on/off",
     "Draw consecutive identical sibling modules once, as x N"),
    ("a", "toggle_recursive", "Own/subtree", False, "Tensors: own or subtree",
     "Show the selected module's own tensors or its whole subtree's"),
    ("slash", "focus_filter", "Filter", False, "Filter modules",
     "Type to filter the tree by name or type (on the Trace tab: the events by module); "
     "enter keeps the filter, escape clears it"),
    ("left_square_bracket", "tree_width(-4)", "Narrower", False, "Module tree narrower",
     "Make the module tree 4 columns narrower (its right edge can be dragged with the mouse too)"),
    ("right_square_bracket", "tree_width(4)", "Wider", False, "Module tree wider",
     "Make the module tree 4 columns wider (its right edge can be dragged with the mouse too)"),
    ("w", "toggle_tree", "Wide", False, "Hide or show the module tree",
     "Give the tables the whole width (handy at 80 columns); left/right scroll a wide table"),
    ("i", "set_input", "Input", False, "Set the example input",
     "Ask for the example input's shape and dtype (the first layer suggests one when it can)"),
    ("j", "jump", "Jump", False, "Jump to the marked module",
     "Select the module where a NaN or Inf first appeared, or whose forward raised"),
    ("g", "lessons", "Lessons", True, "Open the guided lessons",
     "The lesson list: pick a lesson, Enter opens it; i in the list comes back here"),
    ("1", "tab('tab-tensors')", "Tensors", False, "Show the tensors tab", "Parameters and buffers"),
    ("2", "tab('tab-trace')", "Trace", False, "Show the trace tab", "The live hook trace"),
    ("3", "tab('tab-modes')", "Modes", False, "Show the train/eval tab", "Modes and the comparison"),
    ("4", "tab('tab-state')", "State", False, "Show the state_dict tab", "Snapshot diff and load report"),
    ("5", "tab('tab-summary')", "Summary", False, "Show the summary tab",
     "Every module's shapes, parameters, buffers and mult-adds, with totals and memory (as torchinfo)"),
    ("6", "tab('tab-training')", "Training", False, "Show the training tab",
     "The loss over optimizer steps, and every layer's statistics, activations and weights over steps"),
    ("V", "cycle_history_view", "History view", False, "Training: next view",
     "Every layer's output std, every layer's gradient norm, the selected module's outputs over steps "
     "(colorful dimension), the selected parameter's values over steps"),
    ("S", "export_summary", "Summary file", False, "Write the summary to a text file",
     "The Summary tab's table and totals as plain text, to paste into a notebook or a report"),
]

# Footer labels when the full ones do not fit (80 columns), by action; the help screen spells them out.
SHORT_LABELS = {
    "app.help": "help", "forward": "fwd", "backward": "bwd", "step": "step", "train": "train",
    "step_next": "next", "toggle_mode": "mode", "compare": "cmp", "save": "save", "load": "load",
    "export": "svg", "lessons": "lessons", "quit": "quit",
}
FOOTER_OPTIONAL = ("lessons",)  # left out of a footer too narrow for every key (help and palette list it)


# how a key's Textual name is written for a reader (the help list, the palette)
KEY_NAMES = {"plus": "+", "minus": "-", "slash": "/", "escape": "esc"}


def shown_key(key: str) -> str:
    """`+` for Textual's "plus", `esc` for "escape"; other keys as they are."""
    return KEY_NAMES.get(key, key)
