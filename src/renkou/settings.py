"""Django settings of Renkou, preset for the `renkou` command.

Configuration comes from the environment, never from edited files:

- ``RENKOU_HOME``: where data lives (SQLite database, uploads, reports). Default: ``var/``
  beside the project's ``pyproject.toml`` for a source checkout, else ``./var``.
- ``RENKOU_DATABASE_URL``: a database URL (``postgres://user:pw@host:5432/db``); when unset the
  embedded SQLite database ``$RENKOU_HOME/renkou.sqlite3`` (WAL mode) is used.
- ``RENKOU_SECRET_KEY``: the signing key; when unset one is generated once into
  ``$RENKOU_HOME/secret.key`` (file mode 0600).
- ``RENKOU_DEBUG=1``, ``RENKOU_ALLOWED_HOSTS`` (comma-separated), ``RENKOU_HTTPS=1`` (secure
  cookies and HSTS behind a TLS terminator).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent


def _default_home() -> Path:
    checkout = PACKAGE_DIR.parent.parent
    if (checkout / "pyproject.toml").exists():
        return checkout / "var"
    return Path.cwd() / "var"


HOME = Path(os.environ.get("RENKOU_HOME") or _default_home()).resolve()
HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if os.environ.get("RENKOU_SECRET_KEY"):
        return os.environ["RENKOU_SECRET_KEY"]
    path = HOME / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("RENKOU_DEBUG") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("RENKOU_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",") if h]
HTTPS = os.environ.get("RENKOU_HTTPS") == "1"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "renkou.core",
    "renkou.web",
]
# Apps of the later modules register themselves here when their package has models.
for _app in ("registry", "indicators", "evaluation", "demography", "synth", "ledger", "benefits", "loans", "feeds",
             "exchange", "migrants", "bureau"):
    if (PACKAGE_DIR / _app / "apps.py").exists():
        INSTALLED_APPS.append(f"renkou.{_app}")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "renkou.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "renkou.core.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "renkou.core.languages.TibetanPagesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "renkou.core.middleware.ActorMiddleware",
]

ROOT_URLCONF = "renkou.urls"
WSGI_APPLICATION = "renkou.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "renkou.web.context.navigation",
            ],
        },
    }
]

_db_url = os.environ.get("RENKOU_DATABASE_URL")
if _db_url:
    # Connections are kept across requests (each server thread its own), checked before reuse.
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=600, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(HOME / "renkou.sqlite3"),
            "OPTIONS": {
                # WAL lets readers work during an import; IMMEDIATE avoids lock upgrades mid-transaction;
                # a writer finding the database busy waits up to 30 s (busy timeout) instead of failing
                # with "database is locked"; the file is read through a shared memory map (256 MiB).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                                "PRAGMA mmap_size=268435456;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            # Each server thread keeps its connection across requests (no reconnect and PRAGMAs per page).
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": os.environ.get("RENKOU_TEST_SQLITE") or None},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["renkou.core.auth.ThrottledModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed-login throttle (core/auth.py): this many failures of one username from one address within the
# window lock that pair; past the address limit, an address (a NAT may hide a whole office) is throttled
# to one try per account that already failed from it, while accounts without failures sign in as usual.
RENKOU_LOGIN_MAX_FAILURES = int(os.environ.get("RENKOU_LOGIN_MAX_FAILURES", "5"))
RENKOU_LOGIN_ADDRESS_MAX_FAILURES = int(os.environ.get("RENKOU_LOGIN_ADDRESS_MAX_FAILURES", "20"))
RENKOU_LOGIN_WINDOW_SECONDS = int(os.environ.get("RENKOU_LOGIN_WINDOW_SECONDS", "900"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English"), ("bo", "བོད་ཡིག")]
# Tibetan serves the village-facing pages and printed notices only (renkou.core.languages.TIBETAN_PAGES);
# Django knows neither its name nor its formats: both are given here and in renkou/formats/bo.
from django.conf.locale import LANG_INFO  # noqa: E402

LANG_INFO.update({"bo": {"bidi": False, "code": "bo", "name": "Tibetan", "name_local": "བོད་ཡིག"}})
FORMAT_MODULE_PATH = ["renkou.formats"]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
RENKOU_HONOUR_BROWSER_LANGUAGE = os.environ.get("RENKOU_BROWSER_LANGUAGE") == "1"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = HOME / "media"

# Sessions and CSRF: cookies unreadable by scripts, not sent cross-site, short-lived.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RENKOU_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50
