"""National filing of small packages (notice 三(二)), evidence before submission, and the
district-reviewed amount of each project.

Evidence policy rows are seeded: KEY and PACKAGE need evidence before submission. The
district-reviewed amounts of projects already past district review are taken from the
history row of that review (the amounts as reviewed).
"""

from decimal import Decimal

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion

EVIDENCE_POLICY = [
    ("KEY", True, "证明材料齐全后方可提交"),
    ("PACKAGE", True, "证明材料齐全后方可提交"),
    ("MICRO", False, ""),
    ("VOC_MGMT", False, ""),
]
PAST_DISTRICT_REVIEW = ("DISTRICT_REVIEWED", "MUNICIPAL_REVIEWED", "CERTIFIED")


def seed_evidence_policy(apps, schema_editor):
    EvidencePolicy = apps.get_model("reductions", "EvidencePolicy")
    for tier, required, note in EVIDENCE_POLICY:
        EvidencePolicy.objects.get_or_create(
            tier=tier, defaults={"evidence_required": required, "note": note}
        )


def backfill_district_reviewed(apps, schema_editor):
    Project = apps.get_model("reductions", "Project")
    Review = apps.get_model("reductions", "Review")
    projects = Project.objects.filter(
        status__in=PAST_DISTRICT_REVIEW, owner__kind__in=("DISTRICT", "COMMITTEE")
    ).prefetch_related("amounts")
    for project in projects:
        review = (
            Review.objects.filter(project=project, action="approve", to_status="DISTRICT_REVIEWED")
            .order_by("-id")
            .first()
        )
        if review is None:
            continue
        for row in project.amounts.all():
            value = review.amounts.get(row.pollutant)
            if value is not None and Decimal(value) <= row.claimed:
                row.district_reviewed = Decimal(value)
                row.save(update_fields=["district_reviewed"])
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0002_entry_last_leg_index"),
        ("reductions", "0004_annex2_whole_plan"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="EvidencePolicy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "tier",
                    models.CharField(
                        choices=[("KEY", "Key project"), ("PACKAGE", "Small package"), ("MICRO", "Micro"), ("VOC_MGMT", "VOCs management")],
                        max_length=10,
                        unique=True,
                        verbose_name="tier",
                    ),
                ),
                ("evidence_required", models.BooleanField(verbose_name="evidence required before submission")),
                ("note", models.CharField(blank=True, max_length=200, verbose_name="note")),
            ],
            options={
                "verbose_name": "evidence policy",
                "verbose_name_plural": "evidence policies",
                "ordering": ["tier"],
            },
        ),
        migrations.RunPython(seed_evidence_policy, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="review",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Entered"),
                    ("edit", "Edited"),
                    ("submit", "Submitted"),
                    ("withdraw", "Withdrawn"),
                    ("approve", "Approved"),
                    ("return", "Returned"),
                    ("revoke", "Revoked"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.AddField(
            model_name="projectamount",
            name="district_reviewed",
            field=models.DecimalField(
                blank=True, decimal_places=3, max_digits=15, null=True, verbose_name="district-reviewed (t/a)"
            ),
        ),
        migrations.RunPython(backfill_district_reviewed, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="projectamount",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("district_reviewed__isnull", True),
                    models.Q(("district_reviewed__gte", 0), ("district_reviewed__lte", models.F("claimed"))),
                    _connector="OR",
                ),
                name="district_reviewed_within_claim",
            ),
        ),
        migrations.CreateModel(
            name="BundleFiling",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("bundle_key", models.CharField(max_length=300, verbose_name="bundle key")),
                ("label", models.CharField(max_length=400, verbose_name="bundle")),
                ("accounting_year", models.PositiveSmallIntegerField(verbose_name="accounting year")),
                ("filing_number", models.CharField(max_length=100, verbose_name="national filing no.")),
                ("filing_date", models.DateField(verbose_name="national filing date")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("PENDING", "Recorded, waiting for the district approver"),
                            ("FILED", "Filed"),
                            ("REJECTED", "Rejected by the district approver"),
                        ],
                        default="PENDING",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("self_filed", models.BooleanField(default=False, verbose_name="filed by the enterprise itself")),
                ("recorded_at", models.DateTimeField(auto_now_add=True, verbose_name="recorded at")),
                ("confirmed_at", models.DateTimeField(blank=True, null=True, verbose_name="confirmed at")),
                ("rejection_reason", models.TextField(blank=True, verbose_name="reason for rejection")),
                (
                    "confirmed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.entity",
                        verbose_name="owner",
                    ),
                ),
                (
                    "project_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="reductions.projecttype",
                        verbose_name="project type",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "national filing",
                "verbose_name_plural": "national filings",
                "ordering": ["-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "REJECTED"), _negated=True),
                        fields=("filing_number",),
                        name="filing_number_used_once",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "FILED"), _negated=True),
                            ("self_filed", True),
                            models.Q(
                                ("confirmed_by__isnull", False),
                                models.Q(("confirmed_by", models.F("recorded_by")), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="filing_confirmed_by_another_person",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "PENDING"), _negated=True),
                            ("confirmed_by__isnull", True),
                            _connector="OR",
                        ),
                        name="pending_filing_unconfirmed",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="FilingItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amounts", models.JSONField(default=dict, verbose_name="amounts as filed")),
                (
                    "filing",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="items", to="reductions.bundlefiling"
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="filing_items", to="reductions.project"
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
                "constraints": [
                    models.UniqueConstraint(fields=("filing", "project"), name="project_once_per_filing"),
                ],
            },
        ),
        migrations.AddField(
            model_name="project",
            name="filing",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="projects",
                to="reductions.bundlefiling",
                verbose_name="national filing",
            ),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.CheckConstraint(
                condition=models.Q(("filing__isnull", True), ("tier", "PACKAGE"), _connector="OR"),
                name="only_packages_are_filed",
            ),
        ),
    ]
