"""Which modules a diagram draws open, which it draws as one node, and which identical siblings it folds.

One policy for the three views: `--depth N` collapses the modules N levels down into one node each;
`--collapse CLASS_OR_PATH` collapses the modules of that class or path (a glob such as `layer*.0` too);
`--expand CLASS_OR_PATH` opens them, and the modules around them, whatever --depth says (expand wins over
collapse, which wins over depth). Consecutive identical siblings in a Sequential or ModuleList fold into
one: the first drawn inside a frame marked "× N", or one node when the first is itself drawn as one node.
Naming a later member with --expand (`--expand layer1.1`) unfolds its run.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from inspector.events import OpEvent, TraceEvent
from inspector.graph import ModuleInfo, fold_runs
from minimod.errors import UserError

__all__ = ["Folding", "patterns"]


def patterns(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """collapse= and expand= accept one name or several."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _path_matches(path: str, pattern: str) -> bool:
    """`layer1.0` matches itself, `layer*.0` and `*.0`; a `*` stays within one name (`layer*.1` is not
    `layer2.0.downsample.1`)."""
    if not path:
        return False
    names, parts = path.split("."), pattern.split(".")
    return len(names) == len(parts) and all(fnmatchcase(name, part) for name, part in zip(names, parts))


def _ancestors(path: str) -> list[str]:
    parts = path.split(".") if path else []
    return [".".join(parts[:count]) for count in range(len(parts))]


class Folding:
    """The policy above, for one model's modules (`infos`, from graph.describe_modules)."""

    def __init__(self, infos: dict[str, ModuleInfo], *, depth: int | None = None, fold: bool = True,
                 collapse: str | Iterable[str] | None = (), expand: str | Iterable[str] | None = ()) -> None:
        self.infos = infos
        self.depth = depth
        self.fold = fold
        self.collapse = patterns(collapse)
        self.expand = patterns(expand)
        self.collapsed_paths = self._matching(self.collapse, "collapse")
        expanded = self._matching(self.expand, "expand")
        self.opened = set(expanded) | {ancestor for path in expanded for ancestor in _ancestors(path)}
        # modules named by path (not by class): a run holding one of them, or one of their ancestors,
        # is drawn unfolded, so the module named is seen
        by_path = {path for pattern in self.expand for path in infos if _path_matches(path, pattern)}
        self.shown = by_path | {ancestor for path in by_path for ancestor in _ancestors(path)}

    def _matching(self, names: tuple[str, ...], option: str) -> set[str]:
        matched: set[str] = set()
        for pattern in names:
            found = {path for path, info in self.infos.items()
                     if info.kind == pattern or _path_matches(path, pattern)}
            if not found:
                kinds = list(dict.fromkeys(info.kind for path, info in self.infos.items() if path))
                paths = [path for path in self.infos if path][:2]
                raise UserError(
                    f"{option} {pattern!r} matches no module of {self.infos[''].kind}: name a class "
                    f"({', '.join(kinds[:4]) or 'none here'}) or a dotted path "
                    f"({', '.join(paths) or 'none here'})"
                )
            matched |= found
        return matched

    def collapsed(self, path: str) -> bool:
        """Is module `path` drawn as one node although there is more inside (submodules; for --collapse,
        also its own parameters)?"""
        if path in self.opened:
            return False
        if path in self.collapsed_paths:
            return True
        info = self.infos[path]
        return bool(info.children) and self.depth is not None and info.depth >= self.depth

    def runs(self, path: str) -> list[list[str]]:
        """The children of `path` in runs: a run of several is drawn folded."""
        if not self.fold:
            return [[child] for child in self.infos[path].children]
        runs: list[list[str]] = []
        for run in fold_runs(self.infos, path):
            if len(run) > 1 and any(member in self.shown for member in run[1:]):
                runs.extend([member] for member in run)
                continue
            for member in run:  # members drawn differently (one of them collapsed) are not folded together
                if runs and runs[-1][0] in run and self.collapsed(runs[-1][0]) == self.collapsed(member):
                    runs[-1].append(member)
                else:
                    runs.append([member])
        return runs

    def all_runs(self) -> dict[str, list[str]]:
        """Every folded run, by each member's path."""
        run_of: dict[str, list[str]] = {}
        for path in self.infos:
            for run in self.runs(path):
                if len(run) > 1:
                    for member in run:
                        run_of[member] = run
        return run_of

    def chained_runs(self, events: list[TraceEvent], ops: list[OpEvent]) -> dict[str, list[str]]:
        """The folded runs of a traced forward: a run folds only where its members ran back to back,
        once each, in order (a chain); otherwise (q/k/v projections, a ModuleList used in a loop with
        other calls between) every call is drawn. Unfolding can reveal runs nested inside, so repeat
        until nothing changes. Returns the runs by each member's path."""
        run_of = self.all_runs()
        timeline: list[TraceEvent | OpEvent] = [event for event in events if event.phase != "backward"]
        timeline += ops
        timeline.sort(key=lambda item: item.index)
        changed = True
        while changed and run_of:
            changed = False
            sequence = self._drawn_sequence(timeline, run_of)
            for run in {id(run): run for run in run_of.values()}.values():
                positions = [index for index, owner in enumerate(sequence) if owner in run]
                members = [sequence[index] for index in positions]
                chained = not positions or (
                    members == run and positions == list(range(positions[0], positions[0] + len(run))))
                if not chained:
                    for member in run:
                        run_of.pop(member, None)
                    changed = True
        return run_of

    def atomic(self, path: str) -> bool:
        """Drawn as one node in the flow view: a collapsed module, or one without submodules (the root is
        opened even without children, so a one-module model shows the ops its forward runs)."""
        if self.collapsed(path):
            return True
        info = self.infos[path]
        if self.depth is not None and info.depth >= self.depth and path not in self.opened:
            return True  # --depth 0 draws a model without submodules as one node too
        return not info.children and path != ""

    def _drawn_sequence(self, timeline: list, run_of: dict[str, list[str]]) -> list[str | None]:
        """What the flow view would draw at the top of each call, in order: the path of each module node
        (a run member counts as one), None for each op."""

        def owner(paths: list[str]) -> str | None:
            return next((path for path in paths if path in run_of or self.atomic(path)), None)

        sequence: list[str | None] = []
        stack: list[str] = []
        for item in timeline:
            if isinstance(item, OpEvent):
                if item.stack and owner(list(item.stack)) is None:
                    sequence.append(None)
            elif item.phase == "forward_pre":
                if owner(stack) is None and owner([item.module]) is not None:
                    sequence.append(item.module)
                stack.append(item.module)
            else:
                while stack and stack.pop() != item.module:
                    pass
        return sequence
