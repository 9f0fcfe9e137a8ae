"""The inspector's screens: the main screen (main.py, with its keys, runs, files, diagram choice, status line
and example input each in a file of its own), help, small modal dialogs, the lesson list and a lesson."""
