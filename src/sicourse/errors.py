"""The project's own errors: each says, in one line, which file and what is wrong.

Library code raises them; the commands print them as one line (never a traceback).
"""


class SicourseError(Exception):
    """Something the user can fix: the message names the file and the problem."""
