"""Flat URL table: one line per endpoint of CONTRACT.md."""

from bench import views
from django.urls import path

urlpatterns = [
    path("api/devices", views.devices),
    path("api/users", views.users),
    # <str:n>, not <int:n>: "abc" and "-1" must reach the view and get 422, not 404.
    path("api/fib/<str:n>", views.fib),
    path("api/fetch-external", views.fetch_external),
    path("api/io-mix", views.io_mix),
    path("livez", views.livez),
    path("healthz", views.healthz),
    path("metrics", views.metrics),
]
