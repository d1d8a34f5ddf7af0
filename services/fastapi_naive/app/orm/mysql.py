"""Tortoise ORM model of the MySQL table of io-mix (db/mysql/schema.sql)."""

from tortoise import fields
from tortoise.models import Model


class MixItem(Model):
    id = fields.BigIntField(primary_key=True)
    batch = fields.CharField(max_length=36)
    name = fields.CharField(max_length=64)
    value = fields.IntField()
    # created_at has a database default and is never read: not mapped.

    class Meta:
        table = "mix_items"
