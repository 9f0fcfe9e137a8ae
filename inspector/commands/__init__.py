"""The inspector's subcommands of `minimod` (inspect, render): each has `add_arguments` and `run`."""
