"""Errors that the command line shows to the user as one line, without a traceback."""


class UserError(Exception):
    """A user's mistake (a bad TARGET, a missing file, a wrong shape), shown as one line.

    The command line prints it as `minimod: error: <message>` and exits 1; the message names the
    thing that is wrong and the way out.
    """


class SerializationError(UserError, ValueError):
    """A value that cannot be saved without pickle, or a file that is not a readable minimod save.

    Every failure of mm.load is one of these, naming the file and the problem (never another exception).
    """
