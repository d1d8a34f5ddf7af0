"""The endpoints of CONTRACT.md as plain function views. Errors raised here (bad input, database
down) are answered by bench.errors.JsonErrorsMiddleware."""

import contextlib
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime

import httpx
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, connections
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymemcache.exceptions import MemcacheError

from . import idempotency, iomix, validation
from .errors import error_response
from .metrics import track
from .models import Device, User
from .outcome import sent_to_postgres

# The hard-coded list of the Go-vs-FastAPI reference.
DEVICES = [
    {
        "id": 1,
        "uuid": "9add349c-c35c-4d32-ab0f-53da1ba40a2a",
        "mac": "EF-2B-C4-F5-D6-34",
        "firmware": "2.1.5",
        "created_at": "2024-05-28T15:21:51.137Z",
        "updated_at": "2024-05-28T15:21:51.137Z",
    },
    {
        "id": 2,
        "uuid": "d2293412-36eb-46e7-9231-af7e9249fffe",
        "mac": "E7-34-96-33-0C-4C",
        "firmware": "1.0.3",
        "created_at": "2024-01-28T15:20:51.137Z",
        "updated_at": "2024-01-28T15:20:51.137Z",
    },
    {
        "id": 3,
        "uuid": "eee58ca8-ca51-47a5-ab48-163fd0e44b77",
        "mac": "68-93-9B-B5-33-B9",
        "firmware": "4.3.1",
        "created_at": "2024-08-28T15:18:21.137Z",
        "updated_at": "2024-08-28T15:18:21.137Z",
    },
]

# One client for the whole process, shared by the 8 threads (httpx.Client is thread-safe).
# httpx applies its timeout to each phase (connect, write, each read), not to the whole call:
# an upstream that trickles its body a byte at a time never trips it. fetch_external reads the
# body in chunks against its own deadline.
EXTERNAL = httpx.Client(timeout=settings.EXTERNAL_TIMEOUT_SECONDS)


class UpstreamDeadline(Exception):
    """The upstream's answer was not complete within EXTERNAL_TIMEOUT_SECONDS."""


@require_http_methods(["GET", "POST"])
def devices(request):
    if request.method == "POST":
        return create_device(request)
    return JsonResponse(DEVICES, safe=False)


def create_device(request):
    mac, firmware = validation.new_device(request.body)
    key = validation.idempotency_key(request.META.get("HTTP_IDEMPOTENCY_KEY"))
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # stored as sent: milliseconds
    device = Device(uuid=uuid.uuid4(), mac=mac, firmware=firmware, created_at=now, updated_at=now)
    with track("insert", "postgres"):
        # A connection from the pool first: if that fails, nothing was sent (503).
        connection.ensure_connection()
        if key is None:
            with sent_to_postgres():
                device.save(force_insert=True)  # INSERT ... RETURNING id
        else:
            device = idempotency.create_once(device, key)
    if (device.mac, device.firmware) != (mac, firmware):
        raise validation.Invalid("idempotency key reused with a different request")
    response = JsonResponse(device_json(device), status=201)
    # bytes are stored as they are (flags 0): memcached holds exactly the response body.
    # A failure is counted by track(); PostgreSQL is the source of truth, so still 201.
    with contextlib.suppress(OSError, MemcacheError), track("set", "memcache"):
        cache.set(f"device:{device.uuid}", response.content, settings.CACHE_TTL_SECONDS)
    return response


def device_json(device: Device) -> dict:
    return {
        "id": device.id,
        "uuid": str(device.uuid),
        "mac": device.mac,
        "firmware": device.firmware,
        "created_at": timestamp(device.created_at),
        "updated_at": timestamp(device.updated_at),
    }


def timestamp(moment: datetime) -> str:
    """YYYY-MM-DDTHH:MM:SS.mmmZ, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@require_GET
def users(request):
    limit, after = validation.users_query(request.GET)
    with track("select", "postgres"):
        rows = list(
            User.objects.filter(user_id__gt=after)
            .order_by("user_id")
            .values("user_id", "username", "email", "created_at")[:limit]
        )
    for row in rows:
        row["created_at"] = row["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
    return JsonResponse(rows, safe=False)


def fibonacci(n: int) -> int:
    """Naive double recursion on purpose: this is the CPU-bound test."""
    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)


@require_GET
def fib(request, n):
    number = validation.fib_n(n)
    return JsonResponse({"n": number, "fibonacci": fibonacci(number)})


@require_GET
def fetch_external(request):
    deadline = time.monotonic() + settings.EXTERNAL_TIMEOUT_SECONDS
    try:
        with track("get", "external"), EXTERNAL.stream("GET", settings.EXTERNAL_URL) as upstream:
            upstream.raise_for_status()  # any non-2xx
            body = bytearray()
            for chunk in upstream.iter_bytes():
                body += chunk
                if time.monotonic() > deadline:
                    raise UpstreamDeadline
            payload = json.loads(body)
    except (httpx.TimeoutException, UpstreamDeadline):
        return error_response(504, "Upstream timed out")
    except (httpx.HTTPError, ValueError):  # refused, reset, non-2xx, not JSON
        return error_response(502, "Upstream failed")
    return JsonResponse(payload, safe=False)


@require_POST
def io_mix(request):
    with track("mix", "mysql"):
        counts = iomix.run_transactions()
    return JsonResponse({**counts, "file_operations": iomix.roundtrip_temp_file()})


@require_GET
def livez(request):
    # Liveness touches no dependency: an outage must not get a healthy process restarted.
    return JsonResponse({"status": "ok"})


def _database_answers(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:  # PoolTimeout and connection errors arrive as OperationalError
        return False
    finally:
        connections[alias].close()  # a helper thread: no request_finished to close it


def _memcached_answers() -> bool:
    try:
        cache.get("healthz")  # a miss is an answer; raises when memcached is unreachable
        return True
    except (OSError, MemcacheError):
        return False
    finally:
        cache.close()


HEALTH_TIMEOUT_SECONDS = 1.5
HEALTH_CHECKS = {
    "postgres": lambda: _database_answers("default"),
    "mysql": lambda: _database_answers("mysql"),
    "memcached": _memcached_answers,
}


@require_GET
def healthz(request):
    # In parallel and with one deadline, so that hung dependencies cost HEALTH_TIMEOUT_SECONDS,
    # not the sum of their own timeouts; a check still running then is "down" (its thread ends
    # within the dependency's own bound and closes its connection).
    checks = ThreadPoolExecutor(max_workers=len(HEALTH_CHECKS))
    answered = {name: checks.submit(check) for name, check in HEALTH_CHECKS.items()}
    wait(answered.values(), timeout=HEALTH_TIMEOUT_SECONDS)
    checks.shutdown(wait=False)
    down = [name for name, future in answered.items() if not (future.done() and future.result())]
    if down:
        return JsonResponse(
            {"status": "unavailable", "detail": f"{', '.join(down)} not answering", "down": down},
            status=503,
        )
    return JsonResponse({"status": "ok"})


@require_GET
def metrics(request):
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
