from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("", views.entity_list, name="entity_list"),
    path("entity/<str:code>/", views.entity_detail, name="entity"),
    path("entity/<str:code>/export/", views.export_start, name="export_start"),
    path("account/<int:pk>/", views.account_statement, name="account"),
    path("transaction/<int:pk>/", views.transaction_detail, name="transaction"),
    path("corrections/", views.correction_list, name="corrections"),
    path("corrections/<int:pk>/", views.correction_detail, name="correction"),
    path(
        "corrections/new/<str:action>/<int:record_id>/",
        views.correction_new,
        name="correction_new",
    ),
    path("adjustments/", views.adjustment_list, name="adjustment_list"),
    path("adjustments/new/", views.adjustment_new, name="adjustment_new"),
    path("adjustments/<int:pk>/decide/", views.adjustment_decide, name="adjustment_decide"),
    path("exports/<int:pk>/", views.export_status, name="export"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
]
