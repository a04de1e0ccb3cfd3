"""The one error type a user can cause and fix."""


class UserError(Exception):
    """A mistake the user can fix: a bad path, config key, file or name.

    The CLI prints its message as one line and exits with code 2, never with a
    traceback. Library code raises it wherever the cause is the user's input.
    """


class TrainingDiverged(RuntimeError):
    """The loss stopped being finite; the message names the last good checkpoint."""
