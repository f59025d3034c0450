"""The parties ALDIS talks to (INTERFACES §1 ``organisations``) and their API clients."""

from typing import ClassVar

from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

from aldis.feeds.models import VersionedRecord
from aldis.identifiers import normalise_org_code


class OrganisationKind(models.TextChoices):
    TRADER = "trader", "Electricity or gas trader"
    ELECTRICITY_DSO = "electricity_dso", "Electricity distribution system operator"
    GAS_DSO = "gas_dso", "Gas distribution system operator"
    HEAT_SUPPLIER = "heat_supplier", "Heat supplier"
    MUNICIPALITY = "municipality", "Local government"
    PORTAL = "portal", "State portal"
    REGISTER = "register", "Register holder"


def validate_org_code(value: str) -> None:
    normalise_org_code(value)


class Organisation(models.Model):
    code = models.CharField("registration number", max_length=11, unique=True, validators=[validate_org_code])
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices, db_index=True)
    # For local governments: the territorial (ATVK) code of the municipality they govern.
    municipality_code = models.CharField(max_length=10, null=True, blank=True)
    # For traders: whether they give the protected-user discount (Scheme P).
    protected_service = models.BooleanField(default=False)
    # Which register feeds a register holder sends (set by Bureau staff): once listed, a
    # register's token may send only these, so the sanctions list cannot replace the population
    # register; an empty list lets it send every register feed (``sender_refusal``).
    sends_feeds = models.JSONField(
        default=list,
        blank=True,
        help_text='register feeds it sends, e.g. ["population"]; empty: every register feed',
    )
    # Organisations are never deleted (their history is referenced); they end.
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality_code"],
                condition=models.Q(is_active=True),
                name="organisation_one_active_per_municipality",
            ),
            models.CheckConstraint(
                name="organisation_municipality_code_iff_municipality",
                condition=(
                    models.Q(kind=OrganisationKind.MUNICIPALITY, municipality_code__isnull=False)
                    | (
                        ~models.Q(kind=OrganisationKind.MUNICIPALITY)
                        & models.Q(municipality_code__isnull=True)
                    )
                ),
            ),
            models.CheckConstraint(
                name="organisation_protected_service_only_traders",
                condition=models.Q(protected_service=False) | models.Q(kind=OrganisationKind.TRADER),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ApiClientManager(APIKeyManager):
    def get_usable_keys(self) -> models.QuerySet["ApiClient"]:
        # Authentication needs the organisation at once: one query per request, not two.
        return super().get_usable_keys().select_related("organisation")


class ApiClient(AbstractAPIKey):
    """An API token of one organisation. Only a hash is stored; the token is shown once.

    djangorestframework-api-key does the key generation, hashing (SHA-512 over a high-entropy
    key), prefix lookup and revocation (which cannot be undone).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="api_clients")
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ApiClientManager] = ApiClientManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API client"
        verbose_name_plural = "API clients"

    # DRF treats the authenticated principal as ``request.user``: an API client is authenticated
    # as its organisation, never as a Django user.
    is_authenticated = True
    is_anonymous = False

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.organisation.code}"


class OrganisationRecord(VersionedRecord):
    """A version of the organisations feed's row; ``Organisation`` holds the current one."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, db_constraint=False, related_name="records"
    )
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    municipality_code = models.CharField(max_length=10, null=True, blank=True)
    protected_service = models.BooleanField(default=False)

    class Meta:
        constraints = [
            # One live version per organisation (closed history versions are current too).
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(superseded_in__isnull=True, valid_to__isnull=True),
                name="orgrecord_one_live",
            ),
        ]

    def __str__(self) -> str:
        return self.name
