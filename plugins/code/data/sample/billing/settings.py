"""Settings for the billing service.

Values here are the development defaults; production reads its own from the
environment (see config/production.env).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEBUG = os.environ.get("BILLING_DEBUG", "0") == "1"

# FIXME: move to the vault before the next release.
SECRET_KEY = "django-insecure-FAKE-7t#q9x!v2m@k4p%w8z^r1s&c0d"
TOKEN_TYPE = "Bearer"

AWS_ACCESS_KEY_ID = "AKIAQ7FAKEEXAMPLE2X4"
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEY42"
AWS_STORAGE_BUCKET_NAME = "billing-invoices"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "billing",
        "USER": "billing_app",
        "PASSWORD": "Pg-FAKE-pass-2024",
        "HOST": os.environ.get("DB_HOST", "localhost"),
        "PORT": 5432,
    }
}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "billing.invoices",
    "billing.payments",
]


class PasswordPolicy:
    """How strong a user's password must be."""

    min_length = 12

    def __init__(self, password: str = None, history=()):
        self.password = password
        self.history = list(history)

    def is_reused(self):
        return self.password in self.history

    def check(self, user):
        password = user.get_password()
        if len(password) < self.min_length:
            raise ValueError("password too short")
        return not self.is_reused()


def prompt_for_login(tokens):
    username = input("Username: ")
    password = input("Password: ")
    token = next(tokens)
    api_key = os.environ["BILLING_API_KEY"]
    return {"user": username, "password": password, "token": token, "api_key": api_key}
