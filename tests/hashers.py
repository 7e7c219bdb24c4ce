"""A cheap Argon2 for the test suite: the same algorithm and hash format, tiny cost parameters
(hundreds of accounts are created; production keeps Django's defaults)."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 256
    parallelism = 1
