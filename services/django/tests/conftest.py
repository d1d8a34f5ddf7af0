"""Unit tests without any database: settings need the contract's variables, not the servers
(nothing connects until a view touches PostgreSQL, MySQL or memcached)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

for name, value in {
    "DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:9/none",
    "MYSQL_URL": "mysql://nobody:secret@127.0.0.1:9/none",
    "MEMCACHED_ADDR": "127.0.0.1:9",
    "EXTERNAL_URL": "http://127.0.0.1:9/external",
}.items():
    os.environ.setdefault(name, value)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django

django.setup()
