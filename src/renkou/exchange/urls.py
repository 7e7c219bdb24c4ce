"""Pages of the exchange between nodes, mounted at /exchange/ with namespace ``exchange``."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("enquiries/", views.enquiries, name="enquiries"),
    path("enquiries/export.xlsx", views.export, name="export"),
    path("enquiries/new/", views.new_enquiry, name="new"),
    path("enquiries/<uuid:uid>/", views.enquiry, name="enquiry"),
    path("enquiries/<uuid:uid>/answer/", views.answer, name="answer"),
    path("overdue/", views.overdue, name="overdue"),
    path("outbox/", views.outbox, name="outbox"),
    path("inbox/", views.inbox, name="inbox"),
    path("peers/", views.peers, name="peers"),
    path("peers/import/", views.import_peers, name="import-peers"),
]
