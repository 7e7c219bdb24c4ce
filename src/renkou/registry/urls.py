from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.search, name="search"),
    path("persons/<int:pk>/", views.person_detail, name="person"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path("events/birth/new/", views.declare_birth, name="declare-birth"),
    path("queue/events/", views.event_queue, name="event-queue"),
    path("queue/checks/", views.check_queue, name="check-queue"),
    path("queue/duplicates/", views.duplicate_queue, name="duplicate-queue"),
    path("queue/duplicates/<int:pk>/", views.duplicate_detail, name="duplicate"),
]
