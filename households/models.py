"""Persons, addresses and their register records, every version kept (see ``VersionedRecord``).

``Person`` and ``Address`` are identities only: a person is known under every personal code they
have had (``PersonCode``), so that a record sent under an old code follows the person. What the
registers say about them lives in the versioned record tables, filled only by the feed import.
"""

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce

from aldis.feeds.models import VersionedRecord

CURRENT = models.Q(superseded_in__isnull=True)


class Person(models.Model):
    # Not indexed: codes are looked up through PersonCode (which holds this one too).
    personal_code = models.CharField(max_length=11, help_text="the current personal code")

    class Meta:
        ordering = ["personal_code"]

    def __str__(self) -> str:
        return f"person {self.pk}"


class PersonCode(models.Model):
    # Unique by a constraint, not ``unique=True``: that would add a second index for LIKE queries
    # on PostgreSQL, which no one makes on a code and every import would keep up to date.
    code = models.CharField(max_length=11)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, db_constraint=False, related_name="codes")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code"], name="personcode_code_unique")]

    def __str__(self) -> str:
        return self.code


class Address(models.Model):
    code = models.CharField(max_length=9)  # unique by a constraint (see PersonCode)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "addresses"
        constraints = [models.UniqueConstraint(fields=["code"], name="address_code_unique")]

    def __str__(self) -> str:
        return self.code


class AddressType(models.TextChoices):
    BUILDING = "building", "Building"
    FLAT = "flat", "Flat"
    OTHER = "other", "Other"


class AddressRecord(VersionedRecord):
    address = models.ForeignKey(
        Address, on_delete=models.PROTECT, db_constraint=False, related_name="records"
    )
    type = models.CharField(max_length=8, choices=AddressType.choices)
    parent = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.PROTECT, db_constraint=False, related_name="+"
    )
    municipality_code = models.CharField(max_length=10)
    full_address = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["address"], condition=CURRENT, name="addressrecord_one_current"),
        ]
        indexes = [models.Index(fields=["municipality_code"], name="addressrecord_municipality")]

    def __str__(self) -> str:
        return self.full_address


class PopulationRecord(VersionedRecord):
    """The population register's entry: valid from the declared date of the residence it names."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, db_constraint=False, related_name="population_records"
    )
    given_name = models.CharField(max_length=100)
    surname = models.CharField(max_length=100)
    birth_date = models.DateField()
    death_date = models.DateField(null=True, blank=True)
    address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.PROTECT, db_constraint=False, related_name="+"
    )
    declared_from = models.DateField(null=True, blank=True)
    previous_code = models.CharField(max_length=11, blank=True, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=CURRENT & models.Q(valid_to__isnull=True),
                name="population_one_live",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.surname}"


class TemporaryProtection(VersionedRecord):
    """A Ukrainian civilian with temporary protection, at the residence they indicated."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, db_constraint=False, related_name="protections"
    )
    given_name = models.CharField(max_length=100)
    surname = models.CharField(max_length=100)
    birth_date = models.DateField()
    address = models.ForeignKey(Address, on_delete=models.PROTECT, db_constraint=False, related_name="+")

    class Meta:
        verbose_name_plural = "temporary protections"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "valid_from"], condition=CURRENT, name="protection_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.surname}"


class RelationKind(models.TextChoices):
    PARENT = "parent", "Parent"
    ADOPTIVE = "adoptive", "Adoptive parent"
    FOSTER = "foster", "Foster parent"
    GUARDIAN = "guardian", "Guardian"


class Relation(VersionedRecord):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, db_constraint=False, related_name="dependants_links"
    )
    dependant = models.ForeignKey(
        Person, on_delete=models.PROTECT, db_constraint=False, related_name="carers_links"
    )
    relation = models.CharField(max_length=8, choices=RelationKind.choices)

    class Meta:
        indexes = [models.Index(fields=["dependant"], condition=CURRENT, name="relation_current_dependant")]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "dependant", "relation", "valid_from"],
                condition=CURRENT,
                name="relation_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.relation} link {self.pk}"


class DisabilityGroup(models.TextChoices):
    GROUP_1 = "1", "Group I"
    GROUP_2 = "2", "Group II"
    GROUP_3 = "3", "Group III"
    CHILD = "child", "Child with a disability"


class Disability(VersionedRecord):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, db_constraint=False, related_name="disabilities"
    )
    group = models.CharField(max_length=5, choices=DisabilityGroup.choices)

    class Meta:
        verbose_name_plural = "disabilities"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "valid_from", "group"], condition=CURRENT, name="disability_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"disability {self.group}"


class SocialStatusKind(models.TextChoices):
    NEEDY = "needy", "Needy (trūcīga)"
    LOW_INCOME = "low_income", "Low income (maznodrošināta)"


class SocialStatus(VersionedRecord):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, db_constraint=False, related_name="social_statuses"
    )
    status = models.CharField(max_length=10, choices=SocialStatusKind.choices)
    municipality_code = models.CharField(max_length=10)

    class Meta:
        verbose_name_plural = "social statuses"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "valid_from", "status"], condition=CURRENT, name="socialstatus_one_current"
            ),
        ]

    def __str__(self) -> str:
        return self.status


class EducationLevel(models.TextChoices):
    GENERAL = "general", "General"
    VOCATIONAL = "vocational", "Vocational"
    HIGHER = "higher", "Higher"


class Education(VersionedRecord):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, db_constraint=False, related_name="educations"
    )
    level = models.CharField(max_length=10, choices=EducationLevel.choices)

    class Meta:
        verbose_name_plural = "education records"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "valid_from", "level"], condition=CURRENT, name="education_one_current"
            ),
        ]

    def __str__(self) -> str:
        return self.level


class Debtor(VersionedRecord):
    """On the maintenance guarantee fund's register of maintenance debtors."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, db_constraint=False, related_name="debts")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "valid_from"], condition=CURRENT, name="debtor_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"debtor record {self.pk}"


class Sanction(VersionedRecord):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, db_constraint=False, related_name="sanctions"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "valid_from"], condition=CURRENT, name="sanction_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"sanction record {self.pk}"


class Income(VersionedRecord):
    """State Revenue Service income of one person in one month (a fact)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, db_constraint=False, related_name="incomes")
    month = models.DateField(help_text="first day of the month")
    amount_eur = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "month"], condition=CURRENT, name="income_one_current"),
        ]

    def __str__(self) -> str:
        return f"income {self.month:%Y-%m}"


class BenefitKind(models.TextChoices):
    PENSION = "pension", "Pension"
    BENEFIT = "benefit", "Benefit"


class Benefit(VersionedRecord):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, db_constraint=False, related_name="benefits")
    month = models.DateField(help_text="first day of the month")
    kind = models.CharField(max_length=8, choices=BenefitKind.choices)
    amount_eur = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "month", "kind"], condition=CURRENT, name="benefit_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%Y-%m}"


class HousingCost(VersionedRecord):
    """One sender's report of an address's housing costs in a month; a household's cost in a month
    is the sum over senders (the energy company, the water company, the building manager, ...)."""

    sender = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
        help_text="who reported it (empty: imported by an operator)",
    )
    address = models.ForeignKey(
        Address, on_delete=models.PROTECT, db_constraint=False, related_name="housing_costs"
    )
    month = models.DateField(help_text="first day of the month")
    amount_eur = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            # An operator's row (no sender) is one sender too: a unique index takes NULLs as
            # distinct, so the empty sender is compared as 0 (no organisation has that id).
            models.UniqueConstraint(
                Coalesce("sender", Value(0), output_field=models.BigIntegerField()),
                "address",
                "month",
                condition=CURRENT,
                name="housingcost_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"housing cost {self.month:%Y-%m}"


# --- The person's own choices and the Bureau's marks (DOMAIN: Rights of the person) -----------


class ServiceRefusal(models.Model):
    """A person refused the protected-user service from a month on (undone by ending it)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="refusals")
    valid_from = models.DateField(help_text="the first month (its first day) the refusal applies to")
    valid_to = models.DateField(
        null=True, blank=True, help_text="the last day it applies; empty = until undone"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"refusal from {self.valid_from}"


class ContractChoice(models.Model):
    """The contract a household member chose to receive the support (attribution rule 1)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contract_choices")
    trader = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, db_constraint=False, related_name="+"
    )
    contract_no = models.CharField(max_length=64)
    valid_from = models.DateField(help_text="the first month (its first day) the choice applies to")
    valid_to = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"chose {self.contract_no}"


class CountedChildMark(models.Model):
    """Bureau staff marked a young person as a counted child of an adult, with evidence and a
    period (studying abroad; a foster youth whose link the registers dropped)."""

    adult = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="counted_child_marks")
    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    evidence = models.TextField(help_text="what the Bureau saw, e.g. a foreign university's certificate")
    marked_by = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"counted child mark {self.pk}"


class ContestItem(models.TextChoices):
    PROTECTED_USER = "protected_user", "Protected-user support (amount or categories)"
    CONTRACT = "contract", "The contract the support goes to"
    ENERGY_AID = "energy_aid", "Energy-supply-cost aid"
    HOUSEHOLD = "household", "Who is counted in the household"
    OTHER = "other", "Something else"


class ContestStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    IN_REVIEW = "in_review", "In review"
    UPHELD = "upheld", "Decided: upheld"
    REJECTED = "rejected", "Decided: rejected"


class ContestCase(models.Model):
    """A person contests a month's result (DOMAIN: Rights of the person). Staff decide it with a
    written reason; a data error is referred to the source register; an upheld case re-runs the
    month (``rerun``)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contests")
    month = models.DateField(help_text="the month contested (its first day)")
    run = models.ForeignKey(
        "eligibility.MonthRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the version the person saw when contesting",
    )
    item = models.CharField(max_length=16, choices=ContestItem.choices)
    text = models.TextField(help_text="the person's own words")
    status = models.CharField(max_length=10, choices=ContestStatus.choices, default=ContestStatus.RECEIVED)
    decision_reason = models.TextField(blank=True, help_text="the written reason, shown to the person")
    referred_to = models.CharField(
        max_length=64, blank=True, help_text="the register a data error was referred to, if any"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rerun = models.ForeignKey(
        "eligibility.MonthRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the re-run an upheld case started",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="contest_queue")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["upheld", "rejected"]) | ~models.Q(decision_reason=""),
                name="contest_decided_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"contest {self.pk} ({self.status})"
