"""Errors that the command line shows to the user as one line, without a traceback."""


class UserError(Exception):
    """A user's mistake (a bad TARGET, a missing file, a wrong shape), shown as one line.

    The command line prints it as `minimod: error: <message>` and exits 1; the message names the
    thing that is wrong and the way out.
    """
