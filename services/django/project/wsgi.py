"""The WSGI application gunicorn serves: `gunicorn ... project.wsgi`."""

import importlib
import io
import os

from bench.errors import discard_body
from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

django_application = get_wsgi_application()
# Load the URLconf, and with it the views, the shared httpx client and the metrics, at boot
# rather than during the first request.
importlib.import_module(settings.ROOT_URLCONF)


def application(environ, start_response):
    """Give chunked request bodies a length. Django reads a body only up to CONTENT_LENGTH, so a
    chunked one would look empty and escape DATA_UPLOAD_MAX_MEMORY_SIZE. gunicorn decodes the
    chunks and ends the stream (wsgi.input_terminated): read one byte past the limit, so an
    oversized body still reaches the error middleware as RequestDataTooBig (413)."""
    if "CONTENT_LENGTH" not in environ and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", ""):
        stream = environ["wsgi.input"]
        body = stream.read(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
        if len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            discard_body(stream)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
    return django_application(environ, start_response)
