"""The WSGI entry point, for `ledgerbridge serve` and any other WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledgerbridge.settings")
application = get_wsgi_application()
