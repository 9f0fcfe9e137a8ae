"""minimod.nn: Modules, layers and the functional API (torch.nn's names)."""
