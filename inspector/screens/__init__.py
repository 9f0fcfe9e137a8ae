"""The inspector's screens: the main screen, help, and small modal dialogs."""
