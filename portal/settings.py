"""Settings for the portal, read from the environment (12-factor).

Without any environment the portal runs as the embedded demo: SQLite and a
filesystem Celery broker under ``var/``, emails on the console. ``DEBUG=false``
switches to the production profile, which refuses to start without its
secrets and passes ``manage.py check --deploy``.
"""

from __future__ import annotations

import base64
import hashlib
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import django_stubs_ext
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

from portal.config import Environment

# Lets admin and querysets be subscripted at run time (ModelAdmin[Clinic]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = Environment()

DEBUG = env.boolean("DEBUG", default=True)
# The profile: "demo" (SQLite, console email, demo secrets) or "production". DEBUG=false alone
# still means production; rundemo serves the demo with DEBUG off (PORTAL_PROFILE=demo) so a
# missing page shows the portal's 404, as it would in production.
PROFILE = env.choice("PORTAL_PROFILE", "demo" if DEBUG else "production", ("demo", "production"))
PRODUCTION = PROFILE == "production"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "DEBUG=true shows code and settings on error pages: never with PORTAL_PROFILE=production"
    )

_DEMO_SECRET = "demo-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
if PRODUCTION:
    SECRET_KEY = env.required(
        "SECRET_KEY", "the production profile (DEBUG=false) needs a long random secret"
    )
    if SECRET_KEY == _DEMO_SECRET or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters")
else:
    SECRET_KEY = env.string("SECRET_KEY", _DEMO_SECRET)

ALLOWED_HOSTS = env.csv_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
# Unset, or only commas and blanks ("," would leave the list empty and every request 400).
if PRODUCTION and not env.csv_list("ALLOWED_HOSTS", []):
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set: the host names the portal answers to")
CSRF_TRUSTED_ORIGINS = env.csv_list("CSRF_TRUSTED_ORIGINS", [])


def _demo_site_url() -> str:
    """The address rundemo serves on (it writes it to var/), so every process of the demo,
    including commands run in another terminal, puts it in links."""
    try:
        written = (VAR_DIR / "demo-site-url").read_text().strip()
    except OSError:
        written = ""
    return written or "http://127.0.0.1:8000"


if PRODUCTION:
    # Every email's links (check-ins, confirmations, password resets) start with it: a default
    # would send patients to an address that is not the clinic's.
    SITE_URL = env.required(
        "SITE_URL", "the address patients reach the portal at, e.g. https://portal.clinic.example"
    )
    _site = urlsplit(SITE_URL)
    if _site.scheme not in ("http", "https") or not _site.hostname:
        raise ImproperlyConfigured(
            f"SITE_URL must be the portal's address with http(s)://, e.g. https://portal.clinic"
            f".example (it is {SITE_URL!r})"
        )
else:
    SITE_URL = env.string("SITE_URL", _demo_site_url())
SITE_URL = SITE_URL.rstrip("/")

INSTALLED_APPS = [
    "portal.apps.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "simple_history",
    "phonenumber_field",
    "portal",
    "booking",
    "intake",
    "payments",
    "followup",
    "practice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session is read: a cookie Django could not have made is no session.
    "portal.nul_bytes.DropMalformedSessionCookieMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.headers.PermissionsPolicyMiddleware",
    # Pages drawn for someone signed in are never kept in a browser's or proxy's cache.
    "portal.headers.SignedInNoStoreMiddleware",
    # Inside the headers and CSP middleware, so its page carries them and the page's nonce.
    "portal.errors.FriendlyMethodNotAllowedMiddleware",
    # Before anything reads the query string (allauth's ?next, the admin's filters); after
    # the headers, so the "bad request" page carries them too.
    "portal.nul_bytes.RefuseNulBytesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After allauth's: team members need a second factor and a short idle timeout.
    "portal.team_security.TeamSecurityMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.clinic",
                "portal.context_processors.team_session",
                "csp.context_processors.nonce",
            ],
        },
    },
    {
        # Plain-text emails (bodies and subjects): nothing is HTML-escaped, so "A&E" and
        # "O'Neill" arrive as written. Used only through ``portal.messaging``.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env.database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
# Production keeps connections open between requests; health checks drop a
# connection that the server closed so a request never fails on a stale one.
DATABASES["default"]["CONN_MAX_AGE"] = env.integer(
    "CONN_MAX_AGE", 60 if PRODUCTION else 0, minimum=0
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs a web server and a worker on one file: wait for the lock
    # instead of failing, and take it at BEGIN so writers queue up in order.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------
REDIS_URL = env.optional("REDIS_URL")
if REDIS_URL:
    env.url("REDIS_URL", REDIS_URL, schemes=("redis", "rediss", "unix"))
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.string("CACHE_KEY_PREFIX", "portal"),
        }
    }
else:
    # A file cache is shared by every process of the demo, so allauth's login
    # rate limits hold across the web server and the worker.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_BROKER_URL = env.url(
    "CELERY_BROKER_URL",
    REDIS_URL or "filesystem://",
    schemes=("redis", "rediss", "amqp", "amqps", "filesystem", "memory", "sqla+sqlite"),
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env.boolean("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Auth and accounts ----------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "portal.forms.SignupDetailsForm"
# Every allauth form a person fills in, in the portal's wording (portal/login_form.py).
ACCOUNT_FORMS = {
    name: f"portal.login_form.{cls}"
    for name, cls in {
        "login": "LoginForm",
        "signup": "SignupForm",
        "reset_password": "ResetPasswordForm",
        "reset_password_from_key": "ResetPasswordKeyForm",
        "change_password": "ChangePasswordForm",
        "set_password": "SetPasswordForm",
        "add_email": "AddEmailForm",
        "reauthenticate": "ReauthenticateForm",
    }.items()
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Who a request comes from, for those per-IP limits. Production sits behind a TLS proxy:
# with the default (0, no proxy trusted) every visitor would share the proxy's address and
# one person's wrong passwords would lock everyone out. Set TRUSTED_PROXY_COUNT to the
# number of proxies in front of the portal that append to X-Forwarded-For (1 for one
# nginx/Caddy/load balancer), or TRUSTED_CLIENT_IP_HEADER to a header the proxy sets and
# clients cannot (e.g. CF-Connecting-IP). Never set either without a proxy that
# overwrites them: anyone could then pick their own address and dodge the limits.
ALLAUTH_TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 0, minimum=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.optional("TRUSTED_CLIENT_IP_HEADER")
ACCOUNT_RATE_LIMITS = {
    # Per IP and per account: a handful of wrong passwords, then a pause.
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}

# --- Second factor and team sessions (portal/team_security.py) -------------
# TOTP apps with one-time recovery codes; required for the clinic team, optional for patients.
MFA_ADAPTER = "portal.adapters.MFAAdapter"
MFA_FORMS = {
    name: f"portal.login_form.{cls}"
    for name, cls in {
        "authenticate": "AuthenticateForm",
        "reauthenticate": "ReauthenticateCodeForm",
        "activate_totp": "ActivateTOTPForm",
        "deactivate_totp": "DeactivateTOTPForm",
        "generate_recovery_codes": "GenerateRecoveryCodesForm",
    }.items()
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.string("MFA_TOTP_ISSUER", "Clinic portal")
MFA_RECOVERY_CODE_COUNT = 10
# Accept the code of the step just ended too: a code read in its last seconds and typed is
# otherwise refused (allauth's default is 0). allauth still lets each code sign in once.
MFA_TOTP_TOLERANCE = 1
# "Trust this browser" would skip the code on the next sign-in: never for health data.
MFA_TRUST_ENABLED = False
# How long a re-entered password or code unlocks sensitive actions (role changes, refunds).
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.integer("REAUTHENTICATION_SECONDS", 300, minimum=30)
# Adding, removing or choosing the primary email address asks for the password (or a code)
# again: an unlocked session could otherwise move the account to the taker's own address,
# receive its emails and reset the password from there (allauth's default is not to ask).
ACCOUNT_REAUTHENTICATION_REQUIRED = True

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env.optional("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if env.is_set("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env.string("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Clinic <bookings@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Anymail reads its provider credentials from ANYMAIL_* variables when an
# anymail backend is chosen through EMAIL_BACKEND.
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.source.items()
    if key.startswith("ANYMAIL_") and value
}

# --- Stripe ---------------------------------------------------------------
STRIPE_SECRET_KEY = env.string("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env.string("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env.string("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = env.string("STRIPE_API_BASE", "")  # localstripe in tests
STRIPE_JS_URL = env.string("STRIPE_JS_URL", "https://js.stripe.com/v3/")

# --- Health data encryption -----------------------------------------------
# Comma-separated Fernet keys: the first encrypts, all decrypt, so a key can
# be rotated by putting the new one first and re-encrypting at leisure.
if PRODUCTION:
    FIELD_ENCRYPTION_KEYS = env.csv_list("FIELD_ENCRYPTION_KEYS", [])
    if not FIELD_ENCRYPTION_KEYS:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be set: one or more Fernet keys, comma-separated "
            '(make one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())")'
        )
else:
    _demo_key = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    FIELD_ENCRYPTION_KEYS = env.csv_list("FIELD_ENCRYPTION_KEYS", [_demo_key])
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        if len(base64.urlsafe_b64decode(_key.encode())) != 32:
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)"
        ) from None

# --- Internationalisation and time ----------------------------------------
LANGUAGE_CODE = "en-gb"
# Phone numbers: typed as people say them ("07700 900123" means a UK number), stored as E.164
# ("+447700900123"), shown with the country code so a number from abroad reads right too.
PHONENUMBER_DEFAULT_REGION = "GB"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"
TIME_ZONE = env.string("CLINIC_TIME_ZONE", "Europe/London")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder
    raise ImproperlyConfigured(
        f"CLINIC_TIME_ZONE={TIME_ZONE!r} is not a time zone name such as Europe/London"
    ) from None
USE_I18N = True
USE_TZ = True
CLINIC_CURRENCY = env.string("CLINIC_CURRENCY", "GBP")

# --- Static files ---------------------------------------------------------
STATIC_URL = "/static/"
# The demo serves static files straight from the source folders, with DEBUG on or off
# (rundemo turns it off); production serves the collected, hashed copies.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# One-off messages name patients with their alert levels and flags ("Emergency alert about
# ... acknowledged"): kept in the server-side session, not Django's default cookie, which is
# signed, not encrypted, and sits in the browser's profile until the next page.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"
# Content-Security-Policy (django-csp): our own static files, plus scripts and styles that
# carry the request's nonce. No inline event handlers or style attributes anywhere; positions
# drawn by the server go through static/js/portal.js. Stripe's hosts are added on the card
# page only (payments.views).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE],
        "style-src": [CSP_SELF, CSP_NONCE],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "frame-src": [CSP_NONE],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    },
}
# Powerful browser features the portal never uses are off on every page; ``payment`` is
# allowed for Stripe's frames on the card page only (payments.views).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", True)
    # /healthz is probed over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", False)
    # Preloading is a commitment that is slow to undo (every subdomain must
    # serve HTTPS for good), so it stays an explicit opt-in and its reminder
    # (W021) does not fail `check --deploy`.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Logging --------------------------------------------------------------
LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Django logs the path of refused and failed requests ("Bad Request: /checkin/<token>/"):
    # the filter keeps the secrets some URLs carry out of every line (portal.redaction).
    "filters": {"redact_secrets": {"()": "portal.redaction.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request lines, through the same filtered handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Follow-up messages (followup/) ----------------------------------------
# A claim on an outbox row older than this belongs to a worker that died mid-send; the row is
# sent again. Keep it well above EMAIL_TIMEOUT.
FOLLOWUP_SENDING_LEASE_SECONDS = env.integer("FOLLOWUP_SENDING_LEASE_SECONDS", 300, minimum=1)
# A row put on the broker but not picked up after this long is put on again (lost task).
FOLLOWUP_REQUEUE_SECONDS = env.integer("FOLLOWUP_REQUEUE_SECONDS", 300, minimum=1)
# Tries per message before a transient email failure is marked failed for staff to see.
FOLLOWUP_MAX_ATTEMPTS = env.integer("FOLLOWUP_MAX_ATTEMPTS", 6, minimum=1)
# How long a check-in link in an email keeps working.
CHECKIN_LINK_MAX_AGE_DAYS = env.integer("CHECKIN_LINK_MAX_AGE_DAYS", 14, minimum=1)
