import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")

application = get_wsgi_application()
# Load every view module now, so that with gunicorn's --preload the web
# processes start warm instead of importing on their first request.
get_resolver().url_patterns  # noqa: B018
