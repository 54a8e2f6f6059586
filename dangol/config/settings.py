"""Django settings for Dangol. Everything comes from ``DANGOL_*`` environment variables.

The defaults run Dangol on one laptop: an SQLite file (WAL mode) and a task queue
in the data folder, no server but Dangol's own processes.
"""

import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from dangol.config.env import data_dir, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    # A laptop install keeps a generated key beside its database so sessions
    # survive restarts; a server sets DANGOL_SECRET_KEY.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_htmx",
    "dangol.core",
    "dangol.accounts",
    "dangol.customers",
    "dangol.segments",
    "dangol.engagement",
    "dangol.webhooks",
    "dangol.surveys",
    "dangol.loyalty",
    "dangol.feedback",
    "dangol.cases",
    "dangol.campaigns",
    "dangol.privacy",
    "dangol.roadmap",
    "dangol.insights",
    "dangol.reports",
    "dangol.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dangol.config.urls"
WSGI_APPLICATION = "dangol.config.wsgi.application"

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
                "dangol.web.context_processors.navigation_context",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'dangol.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept between requests as with PostgreSQL: opening one (and its
    # pragmas and functions) and closing it (a WAL checkpoint) cost more than most
    # requests' queries. No connection is open before gunicorn forks its workers.
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the
        # write lock at BEGIN, so concurrent writers wait instead of failing
        # with "database is locked" halfway through a transaction.
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-dangol.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- language and time -----------------------------------------------------
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Seoul")
USE_TZ = True
DEFAULT_CURRENCY = env_str("CURRENCY", "KRW")
DEFAULT_PHONE_REGION = env_str("PHONE_REGION", "KR")

# --- static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

# --- e-mail -----------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    # Without an SMTP server, a laptop install keeps every message as a file.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Dangol <noreply@localhost>")

# --- messages to customers (engagement) -----------------------------------------
# The advertiser named in every ad (정보통신망법 §50④): name, contact, postal address,
# and the free 080 opt-out number that SMS/Kakao ads must end with.
DANGOL_SENDER_NAME = env_str("SENDER_NAME")
DANGOL_SENDER_EMAIL = env_str("SENDER_EMAIL")
DANGOL_SENDER_PHONE = env_str("SENDER_PHONE")
DANGOL_SENDER_ADDRESS = env_str("SENDER_ADDRESS")
DANGOL_OPTOUT_NUMBER = env_str("OPTOUT_NUMBER")
# The address customers reach this site at, for links in messages (unsubscribe).
DANGOL_PUBLIC_URL = env_str("PUBLIC_URL", "http://localhost:8000")
# SMS/KakaoTalk provider: "" (none), "http" (generic JSON API) or "solapi".
DANGOL_SMS_PROVIDER = env_str("SMS_PROVIDER")
DANGOL_SMS_URL = env_str("SMS_URL")
DANGOL_SMS_API_KEY = env_str("SMS_API_KEY")
DANGOL_SMS_API_SECRET = env_str("SMS_API_SECRET")
DANGOL_SMS_SENDER = env_str("SMS_SENDER")
DANGOL_SMS_WEBHOOK_SECRET = env_str("SMS_WEBHOOK_SECRET")
DANGOL_KAKAO_PF_ID = env_str("KAKAO_PF_ID")

# --- background work ----------------------------------------------------------
_QUEUE_DIR = DATA_DIR / "queue"
CELERY_BROKER_URL = env_str("BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("in", "processed", "control"):
        (_QUEUE_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_QUEUE_DIR / "in"),
        "data_folder_out": str(_QUEUE_DIR / "in"),
        "processed_folder": str(_QUEUE_DIR / "processed"),
        "control_folder": str(_QUEUE_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("TASKS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# A worker's claim on a chunk of customers to score lasts this long without a sign of
# work; then the chunk is queued again, up to SCORING_MAX_ATTEMPTS times.
SCORING_LEASE_SECONDS = env_int("SCORING_LEASE_SECONDS", 600)
SCORING_MAX_ATTEMPTS = env_int("SCORING_MAX_ATTEMPTS", 3)
# Product recommendations (dangol.customers.recommendations.RecommendSettings): products
# of these categories (consumables) may be recommended again to customers who bought them.
RECOMMENDATIONS = {
    "repeat_categories": env_list("RECOMMEND_REPEAT_CATEGORIES", []),
}
CELERY_BEAT_SCHEDULE = {
    # Product similarities for recommendations, from the orders up to the night.
    "build-recommendations-nightly": {
        "task": "dangol.customers.tasks.build_recommendations_task",
        "schedule": crontab(hour=env_int("RECOMMEND_HOUR", 2), minute=30),
    },
    # Scores every customer each night, in the business's time zone.
    "score-customers-nightly": {
        "task": "dangol.segments.tasks.score_customers_task",
        "schedule": crontab(hour=env_int("SCORING_HOUR", 3), minute=0),
    },
    # Queues again the scoring work of a worker that stopped; fails or stalls a run
    # after SCORING_MAX_ATTEMPTS tries.
    "reclaim-stalled-scoring": {
        "task": "dangol.segments.tasks.reclaim_stalled_scoring_task",
        "schedule": crontab(minute="*/5"),
    },
    # Recounts saved segments' members after scoring (their rules may read scores).
    "count-segments-nightly": {
        "task": "dangol.segments.tasks.refresh_segment_counts_task",
        "schedule": crontab(hour=env_int("SCORING_HOUR", 3), minute=30),
    },
    # Expires loyalty points just after midnight, then tells customers of points
    # expiring in 2 months, 1 month and 3 days (COMPLIANCE.md R24), in the daytime.
    "expire-loyalty-points": {
        "task": "dangol.loyalty.tasks.expire_points_task",
        "schedule": crontab(hour=0, minute=10),
    },
    "send-loyalty-expiry-notices": {
        "task": "dangol.loyalty.tasks.send_expiry_notices_task",
        "schedule": crontab(hour=env_int("LOYALTY_NOTICE_HOUR", 10), minute=30),
    },
    # Issues welcome coupons and, in the birthday month, birthday coupons.
    "issue-loyalty-coupons": {
        "task": "dangol.loyalty.tasks.issue_automatic_coupons_task",
        "schedule": crontab(hour=0, minute=20),
    },
    # Re-evaluates membership tiers, then gives monthly tier coupons and birthday points.
    "evaluate-loyalty-tiers": {
        "task": "dangol.loyalty.tasks.evaluate_tiers_task",
        "schedule": crontab(hour=1, minute=0),
    },
    # Sends messages whose retry is due or that a crashed worker left behind.
    "send-due-messages": {
        "task": "dangol.engagement.tasks.send_due_messages_task",
        "schedule": 60.0,
    },
    # Reminds customers of ad consents two years old (망법 §50⑧), in the daytime.
    "send-consent-reminders": {
        "task": "dangol.engagement.tasks.send_consent_reminders_task",
        "schedule": crontab(hour=env_int("CONSENT_REMINDER_HOUR", 10), minute=0),
    },
    # Sends webhook deliveries whose retry is due or that a stopped worker left behind.
    "send-due-webhooks": {
        "task": "dangol.webhooks.tasks.send_due_deliveries_task",
        "schedule": 60.0,
    },
    # Deletes webhook events past DANGOL_WEBHOOK_RETENTION_DAYS.
    "purge-webhook-events": {
        "task": "dangol.webhooks.tasks.purge_old_events_task",
        "schedule": crontab(hour=4, minute=20),
    },
    # Survey invitations after orders and every quarter, and reminders to non-responders.
    "survey-triggers": {
        "task": "dangol.surveys.tasks.run_triggers_task",
        "schedule": crontab(minute=10),
    },
    "survey-reminders": {
        "task": "dangol.surveys.tasks.send_reminders_task",
        "schedule": crontab(minute=40),
    },
    # Starts scheduled campaigns when their time comes and resumes stalled fan-outs.
    "start-due-campaigns": {
        "task": "dangol.campaigns.tasks.start_due_campaigns_task",
        "schedule": 60.0,
    },
    # Journeys: birthdays, days after an order, win-back and detractor catch-up, hourly
    # in the daytime (each journey's scan on a worker; entries are once per occasion).
    "run-journeys": {
        "task": "dangol.campaigns.tasks.run_journeys_task",
        "schedule": crontab(minute=15, hour=env_str("JOURNEY_HOURS", "9-20")),
    },
    # Escalates open cases past their due time (SLA) and mails their assignees.
    "escalate-overdue-cases": {
        "task": "dangol.cases.tasks.escalate_overdue_cases_task",
        "schedule": 300.0,
    },
    # Invites customers of resolved cases to their follow-up survey when it is due,
    # in the daytime.
    "send-case-followups": {
        "task": "dangol.cases.tasks.send_case_followups_task",
        "schedule": crontab(minute=25, hour="9-20"),
    },
    # Starts scheduled reports when due and queues report e-mails whose retry is due.
    "start-due-reports": {
        "task": "dangol.reports.tasks.start_due_reports_task",
        "schedule": 60.0,
    },
    # Checks alert rules over their last whole window (metric drops, theme spikes).
    "evaluate-alert-rules": {
        "task": "dangol.insights.tasks.evaluate_alert_rules_task",
        "schedule": crontab(minute=5),
    },
    # Sends alert deliveries whose retry is due (a receiver or the mail server was down).
    "send-due-alert-deliveries": {
        "task": "dangol.insights.tasks.send_due_alert_deliveries_task",
        "schedule": 60.0,
    },
}

# --- scheduled reports -------------------------------------------------------------
# A TrueType font for report PDFs instead of the bundled NanumGothic (it must hold Hangul).
DANGOL_REPORT_FONT = env_str("REPORT_FONT")
# Tries to mail a report before its run is marked failed; a stopped sender's lease.
REPORT_MAX_ATTEMPTS = env_int("REPORT_MAX_ATTEMPTS", 5)
REPORT_LEASE_SECONDS = env_int("REPORT_LEASE_SECONDS", 600)

# --- imports ---------------------------------------------------------------------
IMPORT_DIR = DATA_DIR / "imports"
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_MB", 200) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("UPLOAD_MAX_MEMORY_MB", 20) * 1024 * 1024

# --- API -----------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 100
API_BULK_MAX_ITEMS = env_int("API_BULK_MAX_ITEMS", 5000)

# --- outgoing webhooks --------------------------------------------------------------
# Seconds a receiver has to answer one delivery.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT", 10)
# Set to false on a server whose internal network must stay out of reach: receivers
# on private, loopback and link-local addresses are then refused.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", True)
# Days an event (its payload may hold personal data) is kept and can be replayed.
WEBHOOK_RETENTION_DAYS = env_int("WEBHOOK_RETENTION_DAYS", 90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# --- surveys -------------------------------------------------------------------------
# No customer is invited to a survey more than once in this many days (all surveys).
SURVEY_CONTACT_DAYS = env_int("SURVEY_CONTACT_DAYS", 30)
# New anonymous responses per client address and survey per hour (counted in the
# database, so every web process and machine shares the limit).
SURVEY_RATE_LIMIT_PER_HOUR = env_int("SURVEY_RATE_LIMIT_PER_HOUR", 30)
