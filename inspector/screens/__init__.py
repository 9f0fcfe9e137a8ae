"""The inspector's screens: the main screen (a folder, by concern), help, dialogs, lesson list, lesson."""
