"""What the parties report and what the state owes them (DOMAIN: Balance, Corrections, Compensation).

* A ``Submission`` is one request a party made: the discounts a trader applied (Scheme P) or an
  energy-aid claim (Scheme E). Every line of it is kept, accepted or rejected with a reason, so
  that what was claimed, accepted and rejected can always be shown. A retried request with the
  same ``Idempotency-Key`` replays the stored ``response`` instead of applying twice.
* ``AppliedLine``: one recipient's applied discount for month M. Accepted lines are what the
  recipient's available balance is net of (see ``compensation.selectors``).
* ``ClaimLine``: one object's (energy company) or address's (local government) aid in a claim.
* ``Statement``: for one party, month and scheme, the sums of its accepted and rejected lines;
  prepared by one staff member, approved by another (maker-checker), then marked paid.
* ``RecoveryItem``: an amount a trader applied that a later version of the month no longer owes.
"""

from django.conf import settings
from django.db import models


class SubmissionKind(models.TextChoices):
    APPLIED = "applied", "Applied discounts (Scheme P)"
    CLAIM = "claim", "Energy-aid claim (Scheme E)"


class Submission(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="submissions"
    )
    client = models.ForeignKey(
        "organisations.ApiClient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the API token that sent it",
    )
    kind = models.CharField(max_length=8, choices=SubmissionKind.choices)
    month = models.DateField(help_text="the month reported on (its first day)")
    run = models.ForeignKey(
        "eligibility.MonthRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the version of the month the lines were checked against",
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the request body as received")
    received_at = models.DateTimeField(auto_now_add=True)
    # Claims (Scheme E) only: the service type, its VAT rate, a local government's examined
    # submissions and the administrative cost they earn.
    resource = models.CharField(max_length=20, blank=True)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    submissions_examined = models.PositiveIntegerField(null=True, blank=True)
    admin_cost_eur = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Totals over the lines.
    lines_accepted = models.PositiveIntegerField(default=0)
    lines_rejected = models.PositiveIntegerField(default=0)
    claimed_eur = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    accepted_eur = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    response = models.JSONField(default=dict, blank=True, help_text="the answer given, replayed on a retry")

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["organisation", "kind", "month"], name="submission_party_month")]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="submission_idempotency_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%Y-%m} #{self.pk}"


class AppliedLine(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="applied_lines")
    trader = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    line_no = models.PositiveIntegerField(help_text="1-based position in the request")
    contract_no = models.CharField(max_length=64)
    sub_user_code = models.CharField(max_length=11, blank=True, help_text="as sent, normalised (no hyphen)")
    sub_user = models.ForeignKey(
        "households.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
    )
    applied_eur = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    accepted = models.BooleanField()
    reason = models.CharField(max_length=40, blank=True, help_text="machine-readable reason for a rejection")
    message = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["submission", "line_no"]
        indexes = [
            models.Index(fields=["trader", "month"], name="appliedline_trader_month"),
            # The available balance subtracts a recipient's accepted lines of January..M: read
            # from the index alone (on PostgreSQL), one per row of a 300,000-row list.
            models.Index(
                fields=["trader", "contract_no", "month"],
                include=["sub_user_code", "sub_user_id", "applied_eur"],
                condition=models.Q(accepted=True),
                name="appliedline_recipient_covering",
            ),
            # The newest accepted line of each month (a list's ETag): one index descent per month.
            models.Index(
                fields=["trader", "month", "id"],
                condition=models.Q(accepted=True),
                name="appliedline_accepted_newest",
            ),
        ]
        constraints = [
            # One accepted application per recipient and month ("no duplicate").
            models.UniqueConstraint(
                fields=["trader", "month", "contract_no", "sub_user_code"],
                condition=models.Q(accepted=True),
                name="appliedline_one_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_no} {self.sub_user_code or 'holder'}: {self.applied_eur} EUR"


class ClaimLine(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="claim_lines")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    resource = models.CharField(max_length=20)
    line_no = models.PositiveIntegerField()
    object_code = models.CharField(max_length=64, blank=True, help_text="energy companies")
    address_code = models.CharField(max_length=9, blank=True, help_text="local governments")
    aid_eur = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    accepted = models.BooleanField()
    reason = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["submission", "line_no"]
        indexes = [models.Index(fields=["organisation", "month"], name="claimline_party_month")]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month", "resource", "object_code", "address_code"],
                condition=models.Q(accepted=True),
                name="claimline_one_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.object_code or self.address_code}: {self.aid_eur} EUR"


class Scheme(models.TextChoices):
    PROTECTED_USERS = "protected_users", "Protected users (Scheme P)"
    ENERGY_AID = "energy_aid", "Energy-supply-cost aid (Scheme E)"


class StatementStatus(models.TextChoices):
    PREPARED = "prepared", "Prepared"
    APPROVED = "approved", "Approved"
    PAID = "paid", "Paid"


class Statement(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="statements"
    )
    month = models.DateField()
    scheme = models.CharField(max_length=16, choices=Scheme.choices)
    budget_programme = models.CharField(max_length=16)
    lines_accepted = models.PositiveIntegerField(default=0)
    lines_rejected = models.PositiveIntegerField(default=0)
    claimed_eur = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    accepted_eur = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    rejected_eur = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    admin_cost_eur = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total_eur = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text="accepted plus administrative cost: what is paid",
    )
    status = models.CharField(max_length=8, choices=StatementStatus.choices, default=StatementStatus.PREPARED)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(max_length=64, blank=True)
    submissions_through = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="the newest submission counted: later submissions change neither the totals nor the export",
    )

    class Meta:
        ordering = ["-month", "organisation", "scheme"]
        permissions = [
            ("prepare_statement", "Can prepare or refresh a statement"),
            ("approve_statement", "Can approve a statement (not one they prepared)"),
            ("pay_statement", "Can mark an approved statement paid"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month", "scheme"], name="statement_one_per_party"
            ),
            # Maker-checker: the one who prepared it cannot approve it.
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True) | ~models.Q(approved_by=models.F("prepared_by")),
                name="statement_maker_checker",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.month:%Y-%m} {self.scheme} ({self.status})"


class RecoveryStatus(models.TextChoices):
    OPEN = "open", "Open"
    NOTICE_ISSUED = "notice_issued", "Payment notice issued"
    RECOVERED = "recovered", "Recovered"
    WAIVED = "waived", "Waived (with a reason)"


class RecoveryItem(models.Model):
    run = models.ForeignKey(
        "eligibility.MonthRun",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the version that found it",
    )
    trader = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    contract_no = models.CharField(max_length=64)
    sub_user_code = models.CharField(max_length=11, blank=True)
    year = models.PositiveSmallIntegerField()
    credited_eur = models.DecimalField(max_digits=10, decimal_places=2, help_text="credited in the year now")
    applied_eur = models.DecimalField(max_digits=10, decimal_places=2, help_text="applied in the year")
    amount_eur = models.DecimalField(max_digits=10, decimal_places=2, help_text="applied but not owed")
    status = models.CharField(max_length=16, choices=RecoveryStatus.choices, default=RecoveryStatus.OPEN)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["year", "trader", "contract_no", "sub_user_code"], name="recoveryitem_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"recover {self.amount_eur} EUR from {self.contract_no}"
