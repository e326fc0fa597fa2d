from django.urls import path

from . import dashboards, report_views

app_name = "reports"

urlpatterns = [
    path("annual/", report_views.annual, name="annual"),
    path("summary/", report_views.summary, name="summary"),
    path("charts/<slug:name>.json", dashboards.chart_data, name="chart"),
]
