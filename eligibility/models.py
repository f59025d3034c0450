"""Dated parameters: the amounts, switches and thresholds the monthly run uses (INTERFACES §1).

A parameter's value holds from its ``valid_from`` until the next value of the same name. That end
is *derived*, but it is stored (``valid_to`` = the next ``valid_from`` minus one day, NULL for
the last) so that "the value on day D" is one range lookup, now or as known at any batch. Every
change, a ``parameters`` file or an edit in the admin, is learned in a ``FeedBatch`` and writes new
versions (a neighbour whose derived end moved gets one too); nothing is updated in place except
``superseded_in``. A published month records the batch it read, and so keeps its values.
"""

from django.db import models

from aldis.feeds.models import VersionedRecord
from eligibility.parameters import CHOICES

CURRENT = models.Q(superseded_in__isnull=True)


class ParameterValue(VersionedRecord):
    name = models.CharField(max_length=64, choices=CHOICES)
    value = models.CharField(max_length=20, help_text="as sent: true/false, or a decimal with a dot")
    legal_ref = models.CharField(max_length=255, null=True, blank=True, help_text="the act that sets it")

    class Meta:
        ordering = ["name", "valid_from", "id"]
        verbose_name = "parameter value"
        constraints = [
            models.UniqueConstraint(
                fields=["name", "valid_from"], condition=CURRENT, name="parametervalue_one_current"
            ),
            models.CheckConstraint(condition=models.Q(valid_from__isnull=False), name="parametervalue_dated"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="parametervalue_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} = {self.value} from {self.valid_from}"


# --- The monthly run ---------------------------------------------------------------------------


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done (in force if the newest done version)"
    FAILED = "failed", "Failed (the previous version stays in force)"


class MonthRun(models.Model):
    """One computed version of month M. The newest ``done`` version of a month is in force.

    ``knowledge_batch`` fixes what the run read: every register record as known at that batch
    ("as known then"), and the parameters as known then; ``parameters`` keeps the values used.
    """

    month = models.DateField(help_text="the first day of the month (its reference date)")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    knowledge_batch = models.BigIntegerField(help_text="the newest feed batch the run reads")
    parameters = models.JSONField(default=dict, blank=True, help_text="the parameter values used")
    requested_by = models.CharField(max_length=100)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # The summary the command prints and the admin lists.
    households = models.PositiveIntegerField(default=0)
    persons_without_address = models.PositiveIntegerField(default=0)
    entitled_households = models.PositiveIntegerField(default=0)
    unattributed_households = models.PositiveIntegerField(default=0)
    total_eur = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    energy_aid = models.JSONField(
        default=dict,
        blank=True,
        help_text="Scheme E: households, eligible, sanctioned, objects and addresses",
    )
    # What the run's credited balances read (``eligibility.services.lines``): each earlier month of
    # the year that had a version in force when the run started, "YYYY-MM" to that run's id. Set
    # once, before any contract line is written, and read by every chunk; a list compares it with
    # the versions in force now to correct the balances (``compensation.selectors``). NULL for runs
    # computed before it existed: no correction is known for them.
    credited_runs = models.JSONField(
        null=True,
        blank=True,
        help_text="the in-force run of each earlier month of the year that the balances read (YYYY-MM: run id)",
    )
    # Kept by the retention purge (``eligibility.services.retention``) before the run's rows go:
    # ``month_totals`` with amounts as two-decimal strings. Empty (NULL) until then.
    statistics = models.JSONField(
        null=True,
        blank=True,
        help_text="Scheme P totals per category, municipality and trader, kept when the rows are purged",
    )

    class Meta:
        ordering = ["-month", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["month", "version"], name="monthrun_version_unique"),
            # One run of a month at a time.
            models.UniqueConstraint(
                fields=["month"],
                condition=models.Q(status__in=["queued", "running"]),
                name="monthrun_one_active_per_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} v{self.version} ({self.status})"


class MonthRunChunk(models.Model):
    """One finished chunk of a run shared by several workers (``eligibility.services.runs``).

    The row is written in the chunk's own transaction: it exists exactly when the chunk's
    results are committed, and a duplicate delivery of the chunk finds it and does nothing."""

    run = models.ForeignKey(MonthRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    households = models.PositiveIntegerField(default=0)
    persons_without_address = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="monthrunchunk_once")]

    def __str__(self) -> str:
        return f"chunk {self.index} of run {self.run_id}"


class Category(models.TextChoices):
    NEEDY_LOW_INCOME = "needy_low_income", "Needy or low-income household"
    LARGE_FAMILY = "large_family", "Large family"
    DISABLED_CHILD = "disabled_child", "Child with a disability"
    GROUP_I_DISABILITY = "group_i_disability", "Person with disability group I"


class UnitDecision(models.Model):
    """One candidate unit of Scheme P, granted or dropped, with why and what it rests on.

    ``evidence`` lists the records the decision rests on, each ``{"source", "record", "valid_from",
    "valid_to"}``, so that the household page can explain it in one screen.
    """

    # No database constraint on ``run`` here or on the other result tables: a run writes a
    # couple of million rows in one transaction, and PostgreSQL would check every deferred
    # constraint again at commit. Only the run writes them, and they go with it (the ORM's
    # cascade; ``runs._discard_results`` for a failed chunked run).
    # Indexed by (run, address) and (run, subject), as it is read: no single-column index to
    # maintain on run, address or subject while a run writes its rows.
    run = models.ForeignKey(
        MonthRun, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="unit_decisions"
    )
    address = models.ForeignKey(
        "households.Address",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
        help_text="the household the unit goes to (empty when there is none)",
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    subject = models.ForeignKey(
        "households.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
        help_text="the child or the group I person; empty for a household unit",
    )
    granted = models.BooleanField()
    reason = models.CharField(max_length=40, help_text="machine-readable reason code")
    amount_eur = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    evidence = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["run", "address"], name="unitdecision_household"),
            models.Index(fields=["run", "subject"], name="unitdecision_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {'granted' if self.granted else 'dropped'} ({self.reason})"


class HouseholdEntitlement(models.Model):
    """A household with at least one granted unit in a run, and the contract its support goes to."""

    # The unique (run, address) serves both: no index of their own.
    run = models.ForeignKey(
        MonthRun, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="entitlements"
    )
    address = models.ForeignKey(
        "households.Address", on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="+"
    )
    members = models.PositiveIntegerField()
    amount_eur = models.DecimalField(max_digits=8, decimal_places=2)
    contract = models.ForeignKey(
        "traders.Contract",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
        help_text="the contract version the support is attributed to",
    )
    sub_user = models.ForeignKey(
        "households.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
        help_text="the member whose sub-user application names the contract",
    )
    attribution_rule = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 chosen, 2 qualifying holder, 3 member holder, 4 sub-user"
    )
    unattributed_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "address"], name="entitlement_one_per_household"),
        ]

    def __str__(self) -> str:
        return f"household {self.address_id}: {self.amount_eur} EUR"


# --- Scheme E: energy-supply-cost aid (DOMAIN: Scheme E) ---------------------------------------


class EnergyAidReason(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    INCOME_ABOVE_THRESHOLD = "income_above_threshold", "Income per member above the threshold"
    HOUSING_SHARE_BELOW = "housing_share_below", "Housing expenditure below the share of income"
    SANCTIONED_MEMBER = "sanctioned_member", "A member is under sanctions"


class EnergyAidResource(models.TextChoices):
    ELECTRICITY = "electricity", "Electricity (first 100 kWh)"
    ELECTRICITY_HEATING = "electricity_heating", "Electricity for heating"
    GAS_HEATING = "gas_heating", "Gas for heating"
    DISTRICT_HEAT = "district_heat", "District heat"
    DECENTRALISED_FUEL = "decentralised_fuel", "Decentralised fuel"


# Who applies each resource's aid (the Law, Section 4): energy supply merchants electricity (the
# first 100 kWh), gas for heating and district heat, on their objects (paragraph 1); the local
# government electricity for heating and decentralised fuel, on submission, per address
# (paragraph 2).
OBJECT_RESOURCES = ("electricity", "gas_heating", "district_heat")
ADDRESS_RESOURCES = ("electricity_heating", "decentralised_fuel")
# Runs computed before 2026-11-23 also listed electricity objects for electricity for heating;
# their rows stay as published, so the table still admits them.
STORED_OBJECT_RESOURCES = ("electricity", "electricity_heating", "gas_heating", "district_heat")


class EnergyAidDecision(models.Model):
    """One household's Scheme E decision in a run: its figures, eligible or not, and why.

    The per-member figures are rounded half-up to cents for display; the decision itself was
    taken on the exact sums in cents kept beside them (see ``eligibility.services.scheme_e``),
    over the 12 months before the run's month (``scheme_e.income_window``), with the outcome of
    every test, and the sanctions records that weighed. Plain columns, not one JSON document: a
    national run writes 0.8 million of these, and building and storing the document took most
    of the time the run spends writing them.
    """

    # No index of its own on run or address: the unique (run, address) serves both.
    run = models.ForeignKey(
        MonthRun,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="energy_aid_decisions",
    )
    address = models.ForeignKey(
        "households.Address", on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="+"
    )
    members = models.PositiveIntegerField()
    income_per_member_eur = models.DecimalField(max_digits=12, decimal_places=2)
    housing_per_member_eur = models.DecimalField(max_digits=12, decimal_places=2)
    housing_reported = models.BooleanField(help_text="false: nothing reported, the normative amount was used")
    income_cents = models.BigIntegerField(help_text="the members' income over the 12 months, in cents")
    benefits_cents = models.BigIntegerField(help_text="the members' benefits over the 12 months, in cents")
    housing_cents = models.BigIntegerField(
        help_text="the housing costs reported over the 12 months, in cents"
    )
    housing_months = models.PositiveSmallIntegerField(help_text="months of the 12 with a housing cost report")
    income_within_threshold = models.BooleanField()
    housing_share_met = models.BooleanField()
    sanctioned_members = models.PositiveIntegerField()
    eligible = models.BooleanField()
    reason = models.CharField(max_length=40, choices=EnergyAidReason.choices)
    sanctions = models.JSONField(
        null=True,
        blank=True,
        help_text="the members' sanctions records valid on the reference date (NULL: none)",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "address"], name="energyaid_one_per_household"),
        ]

    def __str__(self) -> str:
        return f"household {self.address_id}: {self.reason}"


class EligibleObject(models.Model):
    """A connection object (the version read) eligible for one resource's aid in a run.

    Listed to its operator (the DSO or heat supplier) and to its supplier (the trader).
    """

    # Indexed by (run, operator) and (run, supplier), the parties' lists; no single-column
    # indexes on run, operator or supplier to maintain for a million rows a month.
    run = models.ForeignKey(
        MonthRun,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="eligible_objects",
    )
    connection = models.ForeignKey(
        "traders.Connection",
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
        help_text="the connection version known at the run's batch and valid on its reference date",
    )
    resource = models.CharField(max_length=20, choices=EnergyAidResource.choices)
    operator = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    supplier = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    address = models.ForeignKey(
        "households.Address", on_delete=models.PROTECT, db_constraint=False, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["run", "operator"], name="eligibleobject_operator"),
            models.Index(fields=["run", "supplier"], name="eligibleobject_supplier"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "connection", "resource"], name="eligibleobject_one_per_resource"
            ),
            models.CheckConstraint(
                condition=models.Q(resource__in=STORED_OBJECT_RESOURCES), name="eligibleobject_resource"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} object {self.connection_id}"


class EligibleAddress(models.Model):
    """An eligible household's address listed to its local government for one resource in a run
    (the resources a local government handles on submission)."""

    # No index of its own on run: (run, municipality_code) serves it.
    run = models.ForeignKey(
        MonthRun,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="eligible_addresses",
    )
    address = models.ForeignKey(
        "households.Address", on_delete=models.PROTECT, db_constraint=False, related_name="+"
    )
    municipality_code = models.CharField(max_length=10)
    resource = models.CharField(max_length=20, choices=EnergyAidResource.choices)

    class Meta:
        indexes = [
            models.Index(fields=["run", "municipality_code"], name="eligibleaddress_municipality"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "address", "resource"], name="eligibleaddress_one_per_resource"
            ),
            models.CheckConstraint(
                condition=models.Q(resource__in=ADDRESS_RESOURCES), name="eligibleaddress_resource"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} address {self.address_id} ({self.municipality_code})"


# --- Scheme P: what each trader is told (DOMAIN: Balance, Corrections; INTERFACES §3) --------


class ContractLine(models.Model):
    """One recipient of a run's protected-user support: an attributed household on one contract.

    A recipient is (trader, contract_no, sub_user): the contract holder's own household has no
    sub-user. ``categories`` lists the household's granted units, each ``{"category", "units",
    "amount_eur"}`` (amount as a two-decimal string), by category. ``balance_eur`` is what has
    been credited to the recipient in the calendar year up to and including this month (see
    ``eligibility.services.lines``).
    """

    # No index of its own on run: the unique (run, trader, contract_no, ...) serves it and the
    # trader's list.
    run = models.ForeignKey(
        MonthRun, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="contract_lines"
    )
    trader = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    contract_no = models.CharField(max_length=64)
    sub_user = models.ForeignKey(
        "households.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    sub_user_code = models.CharField(
        max_length=11,
        blank=True,
        help_text="the sub-user's personal code as of the run; empty for the holder",
    )
    address = models.ForeignKey(
        "households.Address", on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="+"
    )
    amount_eur = models.DecimalField(max_digits=8, decimal_places=2)
    balance_eur = models.DecimalField(max_digits=10, decimal_places=2)
    categories = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            # Two partial constraints: NULL sub-users must collide too, on PostgreSQL and SQLite.
            models.UniqueConstraint(
                fields=["run", "trader", "contract_no", "sub_user"],
                condition=models.Q(sub_user__isnull=False),
                name="contractline_one_per_sub_user",
            ),
            models.UniqueConstraint(
                fields=["run", "trader", "contract_no"],
                condition=models.Q(sub_user__isnull=True),
                name="contractline_one_per_holder",
            ),
        ]
        indexes = [models.Index(fields=["run", "trader", "contract_no"], name="contractline_trader")]

    def __str__(self) -> str:
        return f"{self.contract_no} {self.sub_user_code or 'holder'}: {self.amount_eur} EUR"


class AdjustmentLine(models.Model):
    """A re-run's signed difference for one recipient against the version it replaces.

    ``delta_eur`` = ``amount_eur`` (this run, 0 if the recipient is gone) minus
    ``previous_amount_eur`` (the previous in-force version, 0 if the recipient is new).
    """

    run = models.ForeignKey(
        MonthRun,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="adjustment_lines",
    )
    previous_run = models.ForeignKey(
        MonthRun, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    trader = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    contract_no = models.CharField(max_length=64)
    sub_user = models.ForeignKey(
        "households.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    sub_user_code = models.CharField(max_length=11, blank=True)
    previous_amount_eur = models.DecimalField(max_digits=8, decimal_places=2)
    amount_eur = models.DecimalField(max_digits=8, decimal_places=2)
    delta_eur = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["run", "trader", "contract_no"], name="adjustmentline_trader")]

    def __str__(self) -> str:
        return f"{self.contract_no} {self.sub_user_code or 'holder'}: {self.delta_eur:+} EUR"
