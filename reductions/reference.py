"""Default policy rows of the reductions app that a new installation starts with (the same
rows migration 0005 seeds); `load_reference` adds any that are missing, never overwriting what
the bureau changed in the admin."""

from .models import EvidencePolicy

EVIDENCE_POLICY = [
    ("KEY", True, "证明材料齐全后方可提交"),
    ("PACKAGE", True, "证明材料齐全后方可提交"),
    ("MICRO", False, ""),
    ("VOC_MGMT", False, ""),
]


def ensure_policies() -> None:
    for tier, required, note in EVIDENCE_POLICY:
        EvidencePolicy.objects.get_or_create(
            tier=tier, defaults={"evidence_required": required, "note": note}
        )
