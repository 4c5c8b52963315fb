"""Django settings: every environment variable Ledgerbridge reads is read here, and only here.

Defaults give a safe embedded set-up (SQLite in ./var, a generated secret key file with mode
0600); a real deployment sets DATABASE_URL, SECRET_KEY and ALLOWED_HOSTS. See README.md.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ledgerbridge.datadir import prepare_data_dir

BASE_DIR = Path(__file__).resolve().parent
# Created 0700 and checked writable now, so a directory that cannot be written stops start-up
# with a message naming it (DataDirError) instead of a PermissionError later.
DATA_DIR = prepare_data_dir(
    Path(os.environ.get("LEDGERBRIDGE_DATA_DIR", Path.cwd() / "var")).resolve()
)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_from_file(path: Path) -> str:
    """Read a generated secret, creating it (mode 0600) on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(50):
        try:
            value = path.read_text().strip()
        except FileNotFoundError:
            value = secrets.token_urlsafe(50)
            # Written whole under a temporary name, then linked into place: a process starting
            # at the same moment either makes it first or reads the finished file.
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(value)
            try:
                os.link(partial, path)
            except FileExistsError:
                continue  # another process won; read its key
            finally:
                partial.unlink()
            return value
        if value:
            return value
    raise RuntimeError(f"{path} is empty; delete it to generate a new secret")


DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or _secret_from_file(DATA_DIR / "secret_key")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "ledgerbridge.accounts",
    "ledgerbridge.sync",
    "ledgerbridge.tracking",
    "ledgerbridge.catalog",
    "ledgerbridge.customers",
    "ledgerbridge.suppliers",
    "ledgerbridge.work",
    "ledgerbridge.billing",
    "ledgerbridge.purchasing",
    "ledgerbridge.xero",
    "ledgerbridge.background",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ledgerbridge.accounts.middleware.LoginRequiredMiddleware",
    # Last, as django-axes asks: it turns a refused sign-in into the lock-out answer.
    "axes.middleware.AxesMiddleware",
]

# Failed sign-ins are throttled by django-axes (docs/decisions.md): LOGIN_FAILURE_LIMIT failures
# for one username, or from one address, lock that username or address out for
# LOGIN_LOCKOUT_MINUTES, or until an admin unlocks it (Configuration > Users, or
# `ledgerbridge unlock`). The axes backend comes first so it sees every password attempt; the
# REST API authenticates with tokens, not passwords, and is not affected.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ledgerbridge.accounts.lockouts.lockout_response"
AXES_VERBOSE = False

ROOT_URLCONF = "ledgerbridge.urls"
WSGI_APPLICATION = "ledgerbridge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ledgerbridge.accounts.context.navigation",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{DATA_DIR / 'ledgerbridge.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the worker and the web server read while the other writes;
        # IMMEDIATE makes every transaction take the write lock up front, so two
        # writers queue on busy_timeout instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        # Above the Xero token timeout (10 s): a refresh holds the write lock while it waits.
        "timeout": 30,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves from the finders as well; it warns when STATIC_ROOT does not exist yet.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# How often the worker enqueues periodic work (raising due recurring invoices), in seconds.
PERIODIC_INTERVAL_SECONDS = int(os.environ.get("PERIODIC_INTERVAL_SECONDS", "60"))
# Dead-worker recovery (docs/decisions.md): each worker beats every WORKER_HEARTBEAT_SECONDS;
# one silent for WORKER_DEAD_AFTER_SECONDS is dead, and every WORKER_RECOVERY_INTERVAL_SECONDS
# a live worker queues again the tasks a dead one left running.
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "10"))
WORKER_DEAD_AFTER_SECONDS = float(os.environ.get("WORKER_DEAD_AFTER_SECONDS", "60"))
WORKER_RECOVERY_INTERVAL_SECONDS = float(os.environ.get("WORKER_RECOVERY_INTERVAL_SECONDS", "30"))
# An import run whose progress has been silent this long was interrupted and may be taken over.
IMPORT_STALE_AFTER_SECONDS = float(os.environ.get("IMPORT_STALE_AFTER_SECONDS", "120"))

# The Xero sandbox that `make demo` starts beside the web app (see docs/sandbox.md).
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8700"))

# Secrets at rest (OAuth tokens, webhook keys): Fernet keys, newest first. Empty: a key file
# generated in DATA_DIR with mode 0600 (the embedded set-up).
FERNET_KEYS = [k for k in os.environ.get("LEDGERBRIDGE_FERNET_KEYS", "").split(",") if k.strip()]

# Xero. With no XERO_CLIENT_ID, Ledgerbridge talks to the bundled Xero sandbox (docs/sandbox.md);
# set XERO_CLIENT_ID, XERO_CLIENT_SECRET and XERO_REDIRECT_URI for real Xero.
XERO_CLIENT_ID = os.environ.get("XERO_CLIENT_ID", "")
XERO_CLIENT_SECRET = os.environ.get("XERO_CLIENT_SECRET", "")
XERO_REDIRECT_URI = os.environ.get("XERO_REDIRECT_URI", "")
_sandbox = os.environ.get("XERO_SANDBOX_URL", f"http://127.0.0.1:{SANDBOX_PORT}")
_real = bool(XERO_CLIENT_ID) and "XERO_SANDBOX_URL" not in os.environ
XERO_LOGIN_URL = os.environ.get("XERO_LOGIN_URL", "https://login.xero.com" if _real else _sandbox)
XERO_IDENTITY_URL = os.environ.get(
    "XERO_IDENTITY_URL", "https://identity.xero.com" if _real else _sandbox
)
XERO_API_URL = os.environ.get("XERO_API_URL", "https://api.xero.com" if _real else _sandbox)
# Where a synced record opens in Xero's own web app ("Open in Xero" links).
XERO_WEB_URL = os.environ.get("XERO_WEB_URL", "https://go.xero.com")
XERO_SCOPES = os.environ.get(
    "XERO_SCOPES",
    "openid profile email offline_access accounting.settings accounting.contacts "
    "accounting.transactions",
)
# Seconds before expiry at which an access token is refreshed.
XERO_REFRESH_LEEWAY = int(os.environ.get("XERO_REFRESH_LEEWAY", "120"))
XERO_TIMEOUT = float(os.environ.get("XERO_TIMEOUT", "30"))
# A call a person waits for (the importer's list, the tax-rate picker) gives up after this many
# seconds, saying Xero is busy, rather than wait out a rate limit or Retry-After.
XERO_DEADLINE_SECONDS = float(os.environ.get("XERO_DEADLINE_SECONDS", "10"))
# Days the request log (every attempt to reach Xero) is kept before the worker prunes it.
XERO_REQUEST_LOG_DAYS = int(os.environ.get("XERO_REQUEST_LOG_DAYS", "30"))
# Seconds in a rate-limit "minute" (shorter only against a time-scaled sandbox, for benchmarks).
XERO_MINUTE_SECONDS = float(os.environ.get("XERO_MINUTE_SECONDS", "60"))
# Records per request the sync engine sends (1 to 50; Xero advises batches of up to 50). Smaller
# batches cost more calls: only worth it to keep each request small.
_batch = os.environ.get("XERO_BATCH_SIZE", "50").strip()
if not _batch.isdigit() or not 1 <= int(_batch) <= 50:
    raise ImproperlyConfigured(
        f"XERO_BATCH_SIZE is {_batch!r}: set it to a whole number from 1 to 50 (or leave it "
        "unset for 50)."
    )
XERO_BATCH_SIZE = int(_batch)
# How often each organisation with webhooks on is polled for changes webhooks missed (minutes).
XERO_POLL_MINUTES = float(os.environ.get("XERO_POLL_MINUTES", "15"))
# Each organisation's enabled currencies are read again at most this often (the periodic poll).
XERO_CURRENCIES_REFRESH_HOURS = float(os.environ.get("XERO_CURRENCIES_REFRESH_HOURS", "6"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"forbidden_as_info": {"()": "ledgerbridge.logfilters.ForbiddenAsInfo"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["forbidden_as_info"]},
    },
}
