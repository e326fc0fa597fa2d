from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ledger import inbox
from ledger.models import Role

# Roles that take review steps (the reductions workflow).
REVIEWER_ROLES = (Role.DISTRICT_APPROVER, Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER)
# Roles that enter or decide construction projects' use of quota, record or confirm trades,
# or audit them.
USE_ROLES = (*REVIEWER_ROLES, Role.DISTRICT_CLERK, Role.ENTERPRISE_USER, Role.AUDITOR)
# Roles that import spreadsheets (allocations.imports.IMPORTERS decides which kinds).
IMPORT_ROLES = (
    Role.DISTRICT_CLERK,
    Role.MUNICIPAL_CLERK,
    Role.MUNICIPAL_APPROVER,
    Role.ENTERPRISE_USER,
)
# Roles that read the annual ledger report of their entity (municipal roles: every entity).
REPORT_ROLES = USE_ROLES


# How much of the top bar's width (in em of its font) the links may take at 1440 px, beside
# the name of the ledger, the language switch, the user's menu and 更多.
NAV_BUDGET_EM = 54.0
NAV_GAP_EM = 0.9


def label_width_em(label: str) -> float:
    """About how wide a label is, in em: a Chinese character is one em, Latin letters about
    half (capitals and digits a little more)."""
    width = 0.0
    for char in str(label):
        if ord(char) >= 0x2E80:
            width += 1.0
        elif char.isupper() or char.isdigit():
            width += 0.65
        elif char == " ":
            width += 0.28
        else:
            width += 0.52
    return width


def fits_in_bar(links: list) -> int:
    """How many of the links fit the top bar in order; the rest go under 更多 (More). All of
    them when they fit without it."""
    widths = [label_width_em(label) + NAV_GAP_EM for label, _url in links]
    if sum(widths) <= NAV_BUDGET_EM + 4.5:  # 更多 itself needs no room
        return len(links)
    used, count = 0.0, 0
    for width in widths:
        if used + width > NAV_BUDGET_EM:
            break
        used += width
        count += 1
    return count


def navigation(request) -> dict:
    """Navigation links for the signed-in user: only what the user's roles may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "nav_links": [],
            "nav_primary": [],
            "nav_more": [],
            "inbox_counts": [],
            "inbox_total": 0,
            "inbox_shown": False,
        }
    links = [(_("Home"), reverse("home"))]
    # 待我处理 (n): every kind of work waiting for this user (ledger/inbox.py), counted in a
    # few queries; shown to every role that can have any.
    counts = inbox.counts_for_request(request)
    total = inbox.total(counts)
    shown = any(kind.applies(user) for kind in inbox.kinds())
    if shown:
        label = _("My inbox (%(n)s)") % {"n": total} if total else _("My inbox")
        links.append((label, reverse("inbox")))
    if user.has_perm("ledger.see_all_entities"):
        links.append((_("Ledgers"), reverse("ledger:entity_list")))
    elif user.entity_id and user.has_perm("ledger.see_entity_ledger", user.entity):
        links.append((_("Our ledger"), reverse("ledger:entity", args=[user.entity.code])))
    links.append((_("Reduction projects"), reverse("reductions:list")))
    links.append((_("Bundles"), reverse("reductions:bundles")))
    if user.has_perm("allocations.see_rounds"):
        links.append((_("Allocation"), reverse("allocations:rounds")))
        links.append((_("Target progress"), reverse("allocations:overview")))
    elif user.entity_id and user.has_perm("allocations.see_progress", user.entity):
        links.append(
            (_("Target progress"), reverse("allocations:progress", args=[user.entity.code]))
        )
    if user.has_role(*USE_ROLES):
        links.append((_("Construction projects"), reverse("allocations:constructions")))
        links.append((_("Trade records"), reverse("allocations:trades")))
    if user.has_role(*IMPORT_ROLES):
        links.append((_("Import"), reverse("imports:list")))
    if user.has_role(*REPORT_ROLES) and user.entity_id:
        links.append((_("Annual report"), reverse("reports:annual")))
    if user.has_perm("allocations.see_reserve"):
        links.append((_("Municipal reserve"), reverse("allocations:reserve")))
    if user.has_role(Role.DISTRICT_APPROVER, Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER):
        links.append((_("Corrections"), reverse("ledger:corrections")))
    if user.has_perm("ledger.see_adjustments"):
        links.append((_("Adjustments"), reverse("ledger:adjustment_list")))
    if user.is_staff:
        links.append((_("Administration"), reverse("admin:index")))
    return {
        "nav_links": links,
        "nav_primary": links[: (shown_in_bar := fits_in_bar(links))],
        "nav_more": links[shown_in_bar:],
        "inbox_counts": counts,
        "inbox_total": total,
        "inbox_shown": shown,
    }
