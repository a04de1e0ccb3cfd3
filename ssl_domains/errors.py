"""The one error type a user can cause and fix."""


class UserError(Exception):
    """A mistake the user can fix: a bad path, config key, file or name.

    The CLI prints its message as one line and exits with code 2, never with a
    traceback. Library code raises it wherever the cause is the user's input.
    """


class TrainingDiverged(RuntimeError):
    """The loss stopped being finite; the message names the last good checkpoint."""


class Preempted(Exception):
    """SIGTERM or SIGINT stopped training after a checkpoint was saved.

    `exit_code` is the shell's convention for that signal (143 for SIGTERM, 130 for
    SIGINT); the message says how to resume."""

    def __init__(self, message: str, signal_name: str):
        super().__init__(message)
        self.exit_code = {"SIGTERM": 143, "SIGINT": 130}.get(signal_name, 1)
