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
    path("trades/", views.trade_list, name="trades"),
    path("trades/new/", views.trade_new, name="trade_new"),
    path("trades/<int:pk>/", views.trade_detail, name="trade"),
    path("trades/<int:pk>/evidence/", views.trade_evidence, name="trade_evidence"),
    path("trades/<int:pk>/<str:action>/", views.trade_act, name="trade_act"),
    path("reserve/", views.reserve, name="reserve"),
    path("reserve/new/", views.reserve_intake_new, name="reserve_intake_new"),
    path("reserve/<int:pk>/", views.reserve_intake_detail, name="reserve_intake"),
    path("reserve/<int:pk>/evidence/", views.reserve_intake_evidence, name="reserve_evidence"),
    path("reserve/<int:pk>/<str:action>/", views.reserve_intake_act, name="reserve_intake_act"),
]
