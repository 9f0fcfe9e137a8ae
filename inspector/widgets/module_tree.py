"""ModuleTree: every named module with its type, sizes and train/eval badge, a name filter, and selection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Tree
from textual.widgets.tree import TreeNode

from inspector.tensor_summary import human_count, subtree_counts
from inspector.widgets.paint_memo import PaintMemo

LEGEND = "T/E train/eval; [ ] width"  # the help spells it out

MIN_WIDTH = 24  # the narrowest the tree pane gets (by its labels, or by the user)
MAX_SHARE = 0.35  # at most this share of a wide screen (a third at 80 columns), sized by its labels


def count_text(count: int, noun: str) -> str:
    """`21.8k params`, `1 buffer`: element counts spelled out, so nobody reads `9.6kb` as kilobytes."""
    return f"{human_count(count)} {noun}{'' if count == 1 else 's'}"


def mode_badge(training: bool) -> Text:
    """A one-letter badge: T (train mode) or E (eval mode), in reverse video."""
    return Text("T", style="bold reverse yellow") if training else Text("E", style="bold reverse blue")


class SteadyTree(PaintMemo, Tree[str]):
    """Textual's Tree, which keeps its drawn lines when a Resize leaves its width alone.

    Tree forgets every drawn line and asks for another layout pass on each Resize event, and it gets one
    whenever it is shown again at the size it had: 'w' hides and shows the module tree. Its lines are
    cached by width, so only a new width needs them drawn again; skipping the rest took the second layout
    pass and ~10 ms of drawing out of 'w'. Its styles are worked out once per paint (PaintMemo): a move
    onto or off the root or a big ModuleList draws every line again (each shows the guides of the node
    under the cursor), and each line asked for them again."""

    _lines_width: int | None = None

    def _on_resize(self, event: events.Resize) -> None:
        if event.size.width == self._lines_width:
            self._line_cache.grow(event.size.height)
            event.prevent_default()  # Tree's own handler, which would drop the lines, is not run
            return
        self._lines_width = event.size.width  # Tree's handler runs next and redraws at this width

    def notify_style_update(self) -> None:
        # A new style (a theme, the focus coming or going) changes how the lines look, not which lines
        # there are nor their widths: Tree's own handler built all of them again (2,000 on a wide model)
        # and asked for a layout of the screen; here only the drawn lines are dropped. A style that
        # changes the tree's size asks for the layout itself.
        Widget.notify_style_update(self)
        self._line_cache.clear()
        self._updates += 1
        self.refresh()

    # Rebuilding 2,000 nodes (a filter key on a wide model) spent half its time in three per-node costs
    # that a module tree does not need: a layout refresh after every added node, a copy of each
    # label split at newlines (ours have none), and a label rendered again only to measure it.

    _batching = False

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Add and expand many nodes, then invalidate the tree's lines once."""
        self._batching = True
        try:
            yield
        finally:
            self._batching = False
            self._invalidate()

    def _invalidate(self) -> None:
        if not self._batching:
            super()._invalidate()

    def process_label(self, label: Any) -> Text:
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    def get_label_width(self, node: TreeNode[str]) -> int:
        icon = (self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE) if node._allow_expand else ""
        return cell_len(icon) + node._label.cell_len


class ModuleTree(Vertical):
    """The model's modules as a tree; highlighting one posts ModuleTree.ModuleSelected(path, module)."""

    DEFAULT_CSS = """
    ModuleTree { height: 1fr; }
    ModuleTree > #module-filter { height: 1; margin-bottom: 1; }
    ModuleTree > Tree { height: 1fr; }
    """

    class ModuleSelected(Message):
        """The user moved to a module: `path` is its dotted name ("" for the root)."""

        def __init__(self, path: str, module: Any) -> None:
            super().__init__()
            self.path = path
            self.module = module

    def __init__(self, model: Any = None, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.model = model
        self.filter_text = ""
        self._path_nodes: dict[str, TreeNode[str]] = {}
        self._counts: dict[str, tuple[int, int]] = {}
        self._last_posted: str | None = None
        self.marks: dict[str, str] = {}  # path -> a warning shown after its label ("NaN", "raised")
        self.badges: dict[str, str] = {}  # path -> its intervention's badge ("×0")
        # path -> (what its label shows: type, mode, counts; the label), kept while nothing of that changes
        self._labels: dict[str, tuple[tuple, Text]] = {}

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ filter: name or type", id="module-filter", compact=True)
        tree = SteadyTree("model", id="module-tree-view")
        tree.guide_depth = 3
        yield tree

    def on_mount(self) -> None:
        if self.model is not None:
            self.set_model(self.model)

    # --- public API -------------------------------------------------------------------------------

    @property
    def tree_view(self) -> Tree[str]:
        return self.query_one("#module-tree-view", Tree)

    @property
    def selected_path(self) -> str:
        """The dotted path of the module under the cursor ("" for the root)."""
        node = self.tree_view.cursor_node
        return node.data if node is not None and node.data is not None else ""

    def set_model(self, model: Any) -> None:
        """Show `model` (rebuilds the tree, keeping the filter)."""
        self.model = model
        self._counts = subtree_counts(model)
        self._labels.clear()
        self._rebuild()

    def node_for(self, path: str) -> TreeNode[str] | None:
        """The tree node of the module at `path`, if it is shown (the filter may hide it)."""
        return self._path_nodes.get(path)

    def visible_paths(self) -> list[str]:
        """Paths of the modules the tree holds under the current filter, in tree order."""
        return list(self._path_nodes)

    def collapsed_paths(self) -> list[str]:
        """Modules with children whose node is collapsed: the fold state for the diagram."""
        return [path for path, node in self._path_nodes.items() if node.children and not node.is_expanded]

    def select_path(self, path: str) -> bool:
        """Move the cursor to `path`, expanding its ancestors; False when the filter hides it."""
        node = self._path_nodes.get(path)
        if node is None:
            return False
        parent = node.parent
        expanded = False
        while parent is not None:
            if not parent.is_expanded:
                parent.expand()
                expanded = True
            parent = parent.parent
        if expanded:  # the node has no line until the tree is drawn again with its ancestors open
            self.call_after_refresh(self.tree_view.move_cursor, node)
        else:
            self.tree_view.move_cursor(node)
        return True

    def fitting_width(self) -> int:
        """The width that shows every label whole: each line's indent (the tree's guides) plus its label,
        and the pane's border and scrollbar."""
        tree = self.tree_view
        widest = 0
        for path, node in self._path_nodes.items():
            depth = path.count(".") + 1 if path else 0
            widest = max(widest, depth * tree.guide_depth + 2 + node.label.cell_len)
        return widest + 4

    def set_marks(self, marks: dict[str, str]) -> None:
        """Show `marks` (path -> a word in red after the label), replacing the previous ones."""
        changed = set(self.marks) | set(marks)
        self.marks = dict(marks)
        for path in changed:
            self._labels.pop(path, None)
            node = self._path_nodes.get(path)
            if node is not None:
                node.set_label(self._label(path))

    def set_badges(self, badges: dict[str, str]) -> None:
        """Show `badges` (path -> an intervention's badge, after the mode), replacing the previous ones."""
        changed = set(self.badges) | set(badges)
        self.badges = dict(badges)
        for path in changed:
            self._labels.pop(path, None)
            node = self._path_nodes.get(path)
            if node is not None:
                node.set_label(self._label(path))

    def refresh_labels(self) -> None:
        """Redraw every label (after a train/eval change or a structure change)."""
        if self.model is None:
            return
        self._counts = subtree_counts(self.model)
        modules = dict(self.model.named_modules())
        for path, node in self._path_nodes.items():
            label = self._label(path, modules.get(path))
            if node._label is not label:  # after a forward on 2,000 layers: none changed, none redrawn
                node.set_label(label)

    def set_filter(self, text: str) -> None:
        """Keep modules whose path or type contains `text` (case-insensitive), with their ancestors."""
        self.filter_text = text.strip()
        filter_input = self.query_one("#module-filter", Input)
        if filter_input.value != text:
            filter_input.value = text
        self._rebuild()

    # --- building ---------------------------------------------------------------------------------

    def _module(self, path: str) -> Any:
        return self.model.get_submodule(path) if path else self.model

    def _label(self, path: str, module: Any = None) -> Text:
        module = self._module(path) if module is None else module
        shows = (type(module), module.training, self._counts.get(path))
        cached = self._labels.get(path)
        if cached is not None and cached[0] == shows:
            return cached[1]
        label = self._new_label(path, module)
        self._labels[path] = (shows, label)
        return label

    def _new_label(self, path: str, module: Any) -> Text:
        n_parameters, n_buffers = self._counts.get(path, (0, 0))
        name = path.rpartition(".")[2] if path else type(module).__name__
        # The badge leads, so a narrow pane cuts the counts, never the mode.
        label = Text.assemble(mode_badge(module.training), " ", (name, "bold"))
        if path:
            label.append(f" {type(module).__name__}", style="cyan")
        if n_parameters:
            label.append(f" {count_text(n_parameters, 'param')}", style="green")
        if n_buffers:
            label.append(f" {count_text(n_buffers, 'buffer')}", style="magenta")
        mark = self.marks.get(path)
        if mark:
            label = Text.assemble(mode_badge(module.training), " ", (f"{mark}!", "bold reverse red"), " ",
                                  label[2:])  # right after the badge: a narrow pane never cuts it
        badge = self.badges.get(path)
        if badge:  # an intervention: as visible as the mode, and never cut either
            label = Text.assemble(label[:2], (badge, "bold reverse magenta"), " ", label[2:])
        return label

    def _matches(self, path: str, module: Any) -> bool:
        needle = self.filter_text.lower()
        return not needle or needle in path.lower() or needle in type(module).__name__.lower()

    def _rebuild(self) -> None:
        tree = self.tree_view
        cursor_path = self.selected_path
        modules = dict(self.model.named_modules())
        kept = {path for path, module in modules.items() if self._matches(path, module)}
        for path in list(kept):
            parts = path.split(".") if path else []
            for depth in range(len(parts)):
                kept.add(".".join(parts[:depth]))
        if [path for path in modules if path in kept] == list(self._path_nodes):
            self._reopen(modules)  # the same modules shown (a filter's first letters often keep them all)
            return
        tree.clear()
        with tree.batch():
            tree.root.set_label(self._label("", self.model))
            tree.root.data = ""
            self._path_nodes = {"": tree.root}
            for path, module in modules.items():
                if not path or path not in kept:
                    continue
                parent = self._path_nodes.get(path.rpartition(".")[0], tree.root)
                parent.allow_expand = True
                node = parent.add(self._label(path, module), data=path)
                node.allow_expand = False
                self._path_nodes[path] = node
            for node in self._path_nodes.values():
                if self._opens(node):
                    node.expand()
        if cursor_path in self._path_nodes:
            self.call_after_refresh(self.select_path, cursor_path)

    def _opens(self, node: TreeNode[str]) -> bool:
        """Whether a rebuilt tree shows `node` expanded: with a filter, every node with children (every
        match shown; expand_all would post a NodeExpanded for every leaf: 10k messages), else the root
        and its children."""
        if self.filter_text:
            return bool(node.children)
        return node.parent is None or node.parent.parent is None

    def _reopen(self, modules: dict[str, Any]) -> None:
        """What a rebuild would show when it keeps the same modules, without building 2,000 nodes again
        and drawing every line: each node expanded or collapsed as a rebuild leaves it, its label
        current; the cursor stays."""
        labels = {path: self._label(path, modules.get(path)) for path in self._path_nodes}
        changed = [(path, node) for path, node in self._path_nodes.items()
                   if node._label is not labels[path] or self._opens(node) != node.is_expanded]
        if not changed:
            return  # nothing to draw again
        with self.tree_view.batch():
            for path, node in changed:
                if node._label is not labels[path]:
                    node.set_label(labels[path])
                if self._opens(node) and not node.is_expanded:
                    node.expand()
                elif not self._opens(node) and node.is_expanded:
                    node.collapse()

    # --- events -----------------------------------------------------------------------------------

    class WidthDragged(Message):
        """The user dragged the pane's right edge to make it `width` columns wide."""

        def __init__(self, width: int) -> None:
            super().__init__()
            self.width = width

    _dragging = False

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.x >= self.size.width - 2:  # the right border (or the scrollbar beside it)
            self._dragging = True
            self.capture_mouse()
            event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging:
            self.post_message(self.WidthDragged(event.screen_x - self.region.x + 1))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()
            event.stop()

    @on(Input.Changed, "#module-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value.strip()
        if self.model is not None:
            self._rebuild()

    def on_key(self, event: events.Key) -> None:
        # escape in the filter clears it and goes back to the tree (enter keeps the filter)
        filter_input = self.query_one("#module-filter", Input)
        if event.key == "escape" and filter_input.has_focus:
            event.stop()
            event.prevent_default()
            if filter_input.value:
                filter_input.value = ""  # Input.Changed rebuilds the tree
            # the focus moves now, not after this handler (Widget.focus): the footer's keys come back in
            # the same layout as the emptied filter's, not in a second layout and paint
            self.screen.set_focus(self.tree_view)

    @on(Input.Submitted, "#module-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.tree_view.focus()

    @on(Tree.NodeHighlighted, "#module-tree-view")
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        path = event.node.data if event.node.data is not None else ""
        self._scroll_to_label(path)
        if path != self._last_posted and self.model is not None:
            self._last_posted = path
            self.post_message(self.ModuleSelected(path, self._module(path)))

    def _scroll_to_label(self, path: str) -> None:
        """Scroll sideways so the highlighted module's label shows: in a deep model the indent alone
        is wider than the pane (a module 40 levels down starts 120 columns in)."""
        tree = self.tree_view
        indent = (path.count(".") + 1 if path else 0) * tree.guide_depth
        width = tree.scrollable_content_region.width
        if not width:
            return
        if indent + 12 > tree.scroll_x + width or indent < tree.scroll_x:
            tree.scroll_to(x=max(0, indent - width // 3), animate=False)

    @on(Tree.NodeSelected, "#module-tree-view")
    def _selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        path = event.node.data if event.node.data is not None else ""
        if self.model is not None:
            self._last_posted = path
            self.post_message(self.ModuleSelected(path, self._module(path)))
