"""Pages of department feeds, mounted at /feeds/ with namespace ``feeds``."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("sources/<int:pk>/", views.source, name="source"),
    path("sources/<int:pk>/upload/", views.upload, name="upload"),
    path("sources/<int:pk>/link/", views.link, name="link"),
    path("files/<int:pk>/", views.file, name="file"),
    path("queue/", views.queue, name="queue"),
    path("records/<int:pk>/", views.record, name="record"),
    path("records/<int:pk>/decide/", views.decide, name="decide"),
    path("completeness/", views.completeness, name="completeness"),
]
