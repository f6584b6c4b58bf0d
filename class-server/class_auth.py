"""The class hub's accounts: NativeAuthenticator with user names that can be Unix users, and pages that say why.

- A user name is what `useradd` accepts once the spawner's prefix is put before it (``jupyter-ada``): lowercase
  letters, digits, ``-`` and ``_``, starting with a letter, the whole Unix name at most 32 characters. Sign-up
  refuses any other name with a sentence that says what is allowed (NativeAuthenticator's own message blames
  spaces, commas or slashes, whatever the name was); the hub's REST API refuses it too (JupyterHub checks
  ``username_pattern`` everywhere), so no such name reaches the spawner.
- After too many wrong passwords, the log-in page says how long to wait, instead of "Invalid username or password".
"""

import math
from datetime import datetime

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import LoginHandler, SignUpHandler
from traitlets import Integer


def name_pattern(length):
    """The regular expression of a user name of at most ``length`` characters (\\Z: no newline at its end)."""
    return rf"^[a-z][a-z0-9_-]{{0,{length - 1}}}\Z"


def name_rule(length):
    return (
        f"A user name has 1 to {length} characters: lowercase letters (a-z), digits (0-9), - and _, "
        "and starts with a letter, for example ada or ada_lovelace-2."
    )


class ClassSignUpHandler(SignUpHandler):
    def get_result_message(self, user, *args, **kwargs):
        if user is None:
            name = self.authenticator.normalize_username(self.get_body_argument("username", "", strip=False))
            if not self.authenticator.validate_username(name):
                return "alert-danger", self.authenticator.name_rule()
        alert, message = super().get_result_message(user, *args, **kwargs)
        if message.startswith("Something went wrong!\nBe sure your username"):  # the name is fine: the password
            message = (
                f"Choose a password of at least {self.authenticator.minimum_password_length} characters "
                "that is not a common one."
            )
        return alert, message


class ClassLoginHandler(LoginHandler):
    def _render(self, login_error=None, username=None):
        if login_error and username is not None:
            wait = self.authenticator.seconds_to_wait(username)
            if wait:
                minutes = math.ceil(wait / 60)
                login_error = (
                    f"Too many wrong passwords for {self.authenticator.normalize_username(username)}: wait "
                    f"{minutes} minute{'s' if minutes > 1 else ''}, then try again. Forgot your password? "
                    "Your teacher can set a new one."
                )
        return super()._render(login_error=login_error, username=username)


class ClassAuthenticator(NativeAuthenticator):
    """NativeAuthenticator with Unix-safe user names and its sign-up and log-in pages saying why."""

    name_length = Integer(24, help="the longest user name (32 minus the spawner's Unix prefix)").tag(config=True)

    def name_rule(self):
        return name_rule(self.name_length)

    def seconds_to_wait(self, username):
        """Seconds until a name locked after too many wrong passwords may try again (0: not locked)."""
        username = self.normalize_username(username)
        if not self.allowed_failed_logins or not self.is_blocked(username):
            return 0
        since = (datetime.now() - self.login_attempts[username]["time"]).total_seconds()
        return max(1, self.seconds_before_next_try - since)

    def get_handlers(self, app):
        ours = {SignUpHandler: ClassSignUpHandler, LoginHandler: ClassLoginHandler}
        return [(route, ours.get(handler, handler)) for route, handler in super().get_handlers(app)]
