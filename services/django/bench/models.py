"""The contract's tables. managed = False: the schemas live in db/ and the infra applies them."""

from django.db import models


class Device(models.Model):
    """The table also has `idempotency_key`, left out on purpose: the ORM names every field of
    the model in its INSERT, and a request without a key must insert exactly as before
    (CONTRACT.md). Only bench/idempotency.py writes and reads the key, in SQL."""

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(unique=True)
    mac = models.TextField()
    firmware = models.TextField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "devices"


class User(models.Model):
    user_id = models.IntegerField(primary_key=True)
    username = models.TextField()
    email = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "users"


class MixItem(models.Model):
    """Lives in MariaDB: always queried with .using("mysql"). created_at is left to its DB default."""

    id = models.BigAutoField(primary_key=True)
    batch = models.CharField(max_length=36)
    name = models.CharField(max_length=64)
    value = models.IntegerField()

    class Meta:
        managed = False
        db_table = "mix_items"
