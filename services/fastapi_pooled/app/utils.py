import json
import os
import tempfile
import uuid


def temp_file_roundtrip() -> int:
    """Write a ~1 KiB JSON document to a new temporary file, read it back, verify it, delete
    it. Returns the number of file operations the contract counts (write and read)."""
    document = json.dumps(
        {"id": str(uuid.uuid4()), "items": [{"k": k, "name": f"item-{k:02d}"} for k in range(40)]}
    ).encode()
    fd, path = tempfile.mkstemp(prefix="io-mix-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(document)
        with open(path, "rb") as f:
            if f.read() != document:
                raise OSError(f"{path}: read back differs from what was written")
    finally:
        os.unlink(path)
    return 2
