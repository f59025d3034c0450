"""Electricity and gas contracts, sub-users and connection objects, as the parties send them."""

from django.db import models

from aldis.feeds.models import VersionedRecord
from aldis.organisations.models import Organisation
from households.models import CURRENT, Address, Person


class ContractKind(models.TextChoices):
    HOUSEHOLD = "household", "Household"
    BUILDING = "building", "Building (held by its owner or manager)"


class Contract(VersionedRecord):
    trader = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, db_constraint=False, related_name="contracts"
    )
    contract_no = models.CharField(max_length=64)
    holder_code = models.CharField(max_length=11, help_text="personal or organisation code, as sent")
    holder = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, db_constraint=False, related_name="contracts"
    )
    address = models.ForeignKey(
        Address, on_delete=models.PROTECT, db_constraint=False, related_name="contracts"
    )
    object_code = models.CharField(max_length=64, blank=True, null=True)
    kind = models.CharField(max_length=9, choices=ContractKind.choices)

    class Meta:
        indexes = [
            models.Index(fields=["address"], condition=CURRENT, name="contract_current_address"),
            # Staff and the API look contracts up by number, across traders.
            models.Index(fields=["contract_no"], name="contract_no_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["trader", "contract_no"], condition=CURRENT, name="contract_one_current"
            ),
        ]

    def __str__(self) -> str:
        return self.contract_no


class SubUser(VersionedRecord):
    """A tenant or resident who applied to be a sub-user of a building's contract."""

    trader = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, db_constraint=False, related_name="sub_users"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, db_constraint=False, related_name="sub_user_applications"
    )
    contract_no = models.CharField(max_length=64)
    address = models.ForeignKey(Address, on_delete=models.PROTECT, db_constraint=False, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trader", "person", "contract_no"], condition=CURRENT, name="subuser_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"sub-user of {self.contract_no}"


class Resource(models.TextChoices):
    ELECTRICITY = "electricity", "Electricity"
    GAS = "gas", "Gas"
    HEAT = "heat", "Heat"


class Connection(VersionedRecord):
    """A connection object (metering point, gas point, heat object) at an address."""

    operator = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, db_constraint=False, related_name="connections"
    )
    object_code = models.CharField(max_length=64)
    resource = models.CharField(max_length=11, choices=Resource.choices)
    address = models.ForeignKey(
        Address, on_delete=models.PROTECT, db_constraint=False, related_name="connections"
    )
    supplier = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, db_constraint=False, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["address"], condition=CURRENT, name="connection_current_address"),
            models.Index(fields=["object_code"], name="connection_object_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "object_code"], condition=CURRENT, name="connection_one_current"
            ),
        ]

    def __str__(self) -> str:
        return self.object_code
