from django.urls import path

from . import views

app_name = "allocations"

urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/<str:action>/", views.round_act, name="round_act"),
    path("lines/<int:pk>/adjust/", views.line_adjust, name="line_adjust"),
    path("targets/", views.targets, name="targets"),
    path("progress/", views.overview, name="overview"),
    path("progress/<str:code>/", views.entity_progress, name="progress"),
    path("construction/", views.construction_list, name="constructions"),
    path("construction/new/", views.construction_new, name="construction_new"),
    path("construction/<int:pk>/", views.construction_detail, name="construction"),
    path("construction/<int:pk>/<str:action>/", views.construction_act, name="construction_act"),
]
