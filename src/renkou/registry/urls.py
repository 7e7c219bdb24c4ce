from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.search, name="search"),
    path("persons/<int:pk>/", views.person_detail, name="person"),
    path("persons/<int:pk>/services/new/", views.record_service, name="record-service"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path("events/<int:pk>/correct/", views.correct_event, name="correct-event"),
    path("events/new/", views.declare_index, name="declare"),
    path("events/birth/new/", views.declare_birth, name="declare-birth"),
    path("events/<slug:kind>/new/", views.declare_event, name="declare-event"),
    path("queue/events/", views.event_queue, name="event-queue"),
    path("queue/checks/", views.check_queue, name="check-queue"),
    path("queue/duplicates/", views.duplicate_queue, name="duplicate-queue"),
    path("queue/duplicates/<int:pk>/", views.duplicate_detail, name="duplicate"),
    path("checks/", views.check_report, name="check-report"),
    path("export/", views.export_page, name="export"),
]
