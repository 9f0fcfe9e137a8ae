"""`minimod zoo`: list the built-in example models (or show one) as a table."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        nargs="?",
        help="show one model in detail: its description, source, example input and structure",
    )


def _count(tensors) -> int:
    return sum(tensor.numel() for tensor in tensors)


def _shape_text(example) -> str:
    """(1, 1, 28, 28) for a Tensor; each argument for a tuple of them."""
    arguments = example if isinstance(example, tuple) else (example,)
    return ", ".join(str(tuple(a.shape)) if hasattr(a, "shape") else repr(a) for a in arguments)


def run(args: argparse.Namespace) -> int:
    # imported here so that `minimod --help` stays fast
    from rich.console import Console
    from rich.table import Table

    from minimod import zoo

    console = Console()
    if args.name is not None:
        entry = zoo.get(args.name)
        model = entry.build()
        console.print(f"[bold]{entry.name}[/bold]: {entry.description}")
        console.print(f"source: {entry.source}")
        console.print(f"example input: {_shape_text(entry.example_input())}")
        console.print(
            f"parameters: {_count(model.parameters()):,}   buffers: {_count(model.buffers()):,}"
        )
        console.print(repr(model), markup=False, highlight=False, soft_wrap=True)
        return 0

    rows = []
    for entry in zoo.ZOO.values():
        model = entry.build()
        name = f"{entry.name} (default)" if entry.name == zoo.DEFAULT else entry.name
        rows.append((name, entry.description, f"{_count(model.parameters()):,}",
                     f"{_count(model.buffers()):,}", entry.source))
    title = "minimod zoo: built-in example models"
    if console.width >= _TABLE_WIDTH:
        table = Table(title=title, title_justify="left")
        table.add_column("name", style="bold cyan", no_wrap=True)
        table.add_column("description")
        table.add_column("parameters", justify="right")
        table.add_column("buffers", justify="right")
        table.add_column("source", no_wrap=True)
        for row in rows:
            table.add_row(*row)
        console.print(table)
    else:
        _print_narrow(console, title, rows)
    console.print("parameters, buffers: how many numbers the model holds (numel, summed).")
    console.print("Open one with `minimod inspect NAME`; `minimod zoo NAME` prints its structure.")
    return 0


# the table needs this many columns to keep each description on one line; below it, two lines per model
_TABLE_WIDTH = 140


def _print_narrow(console, title: str, rows: list[tuple[str, ...]]) -> None:
    """One line of name and counts per model, its description indented below it (for 80 columns)."""
    from rich.markup import escape

    name_width = max(len(row[0]) for row in rows)
    count_width = max(len("parameters"), *(len(row[2]) for row in rows))
    buffer_width = max(len("buffers"), *(len(row[3]) for row in rows))
    console.print(title, highlight=False)
    console.print(f"[bold]{'name':<{name_width}}  {'parameters':>{count_width}}  "
                  f"{'buffers':>{buffer_width}}  source[/bold]", highlight=False)
    for name, description, parameters, buffers, source in rows:
        console.print(f"[bold cyan]{escape(name):<{name_width}}[/bold cyan]  {parameters:>{count_width}}  "
                      f"{buffers:>{buffer_width}}  {escape(source)}", highlight=False)
        console.print(f"    {escape(description)}", style="dim", highlight=False)
