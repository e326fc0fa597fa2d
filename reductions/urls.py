from django.urls import path

from . import views

app_name = "reductions"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_new, name="new"),
    path("tier/", views.tier_preview, name="tier"),
    path("queue/", views.my_queue, name="queue"),
    path("bundles/", views.bundle_list, name="bundles"),
    path("bundles/bundle/", views.bundle_detail, name="bundle"),
    path("bundles/bundle/export/", views.bundle_export, name="bundle_export"),
    path("bundles/bundle/file/", views.bundle_record_filing, name="bundle_file"),
    path("bundles/filing/<int:pk>/", views.filing_detail, name="filing"),
    path("bundles/filing/<int:pk>/export/", views.filing_export, name="filing_export"),
    path("bundles/filing/<int:pk>/certify/", views.filing_certify, name="filing_certify"),
    path("bundles/filing/<int:pk>/<str:decision>/", views.filing_decide, name="filing_decide"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/evidence/", views.attachment_add, name="attachment"),
    path(
        "<int:pk>/evidence/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("<int:pk>/<str:action>/", views.project_act, name="act"),
]
