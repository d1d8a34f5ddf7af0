"""Read a request body with the contract's 64 KiB limit (413), streamed or not."""

from fastapi import HTTPException, Request

MAX_BODY_BYTES = 65536


async def read_limited_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, "request body larger than 65536 bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPException(413, "request body larger than 65536 bytes")
        chunks.append(chunk)
    return b"".join(chunks)
