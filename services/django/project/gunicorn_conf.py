"""gunicorn's configuration (`--config python:project.gunicorn_conf`): one server hook.

gunicorn joins a header sent twice into one WSGI value with a comma, as HTTP allows for list
headers. Idempotency-Key is not a list, and a comma is a valid character of a key, so after the
join `a,b` sent twice could not be told from the key `a,b` sent once. The hook runs before
gunicorn builds the environ and joins repeats of the header with a space instead: no valid key
holds one, so validation refuses them (422).
"""

KEY = "IDEMPOTENCY-KEY"  # gunicorn's parser upper-cases header names


def pre_request(worker, req):
    values = [value for name, value in req.headers if name == KEY]
    if len(values) > 1:
        req.headers = [(name, value) for name, value in req.headers if name != KEY]
        req.headers.append((KEY, " ".join(values)))
